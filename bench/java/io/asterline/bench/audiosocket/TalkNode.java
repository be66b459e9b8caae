package io.asterline.bench.audiosocket;

import com.sun.management.OperatingSystemMXBean;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.asterline.app.Json;
import io.asterline.audiosocket.AudioSocketConfig;
import io.asterline.agent.Agents;
import io.asterline.audiosocket.AudioSocketServer;
import io.asterline.config.Settings;
import io.asterline.realtime.OpenAiConfig;
import io.asterline.secrets.SecretBox;
import io.asterline.secrets.SecretsConfig;
import io.asterline.tenant.TenantApiKeys;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;

/**
 * The server under test, alone in its JVM so its heap and CPU are its own: the AudioSocket server wired as in
 * production (database, Realtime client), driven by {@link AudioSocketBench} over stdin/stdout.
 * Args: jdbcUrl realtimeUrl.
 */
public final class TalkNode {

  public static void main(String[] args) throws Exception {
    HikariConfig hc = new HikariConfig();
    hc.setPoolName("node-db");
    hc.setJdbcUrl(args[0]);
    hc.setUsername("postgres");
    hc.setMaximumPoolSize(8);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    // the environment may tune the node like a deployment would (e.g. AUDIOSOCKET_IO_THREADS, REALTIME_INPUT_CHUNK)
    Settings settings = Settings.of(Map.of(), System.getenv(), Map.of("openai.api-key", "sk-bench", "realtime.url", args[1],
        "audiosocket.port", "0"));
    try (HikariDataSource ds = new HikariDataSource(hc);
        Agents agents = Agents.start(OpenAiConfig.from(settings), DSL.using(ds, SQLDialect.POSTGRES),
            new TenantApiKeys(DSL.using(ds, SQLDialect.POSTGRES), new SecretBox(SecretsConfig.from(settings))),
            Json.mapper(), registry,
            io.asterline.degraded.DegradedMode.open(java.nio.file.Files.createTempDirectory("bench-data"), 100_000_000,
                Json.mapper()));
        AudioSocketServer server = AudioSocketServer.start(AudioSocketConfig.from(settings), agents, registry)) {
      System.out.println("PORT " + server.port());
      System.out.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
      MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
      OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
      for (String line; (line = in.readLine()) != null && !line.equals("quit"); ) {
        if (line.equals("cpu")) {
          System.out.println("CPU " + os.getProcessCpuTime());
          System.out.flush();
        } else if (line.equals("stats")) {
          System.gc();
          Thread.sleep(200);
          System.gc();
          long heap = memory.getHeapMemoryUsage().getUsed();
          Timer stop = registry.find("asterline.agent.barge.in.stop").timer();
          double p99 = -1;
          if (stop != null) {
            for (ValueAtPercentile v : stop.takeSnapshot().percentileValues()) {
              if (v.percentile() == 0.99) {
                p99 = v.value(TimeUnit.MILLISECONDS);
              }
            }
          }
          double skipped = registry.find("asterline.audiosocket.frames.skipped").counter() == null ? 0
              : registry.find("asterline.audiosocket.frames.skipped").counter().count();
          double late = registry.find("asterline.audiosocket.ticks.late").counter() == null ? 0
              : registry.find("asterline.audiosocket.ticks.late").counter().count();
          System.out.println("STATS " + heap + " " + os.getProcessCpuTime() + " "
              + ManagementFactory.getThreadMXBean().getThreadCount() + " " + server.activeCalls() + " "
              + (long) skipped + " " + p99 + " " + (long) late);
          System.out.flush();
        }
      }
    }
    System.exit(0);
  }
}
