package io.asterline.bench.twilio;

import com.sun.management.OperatingSystemMXBean;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.asterline.agent.Agents;
import io.asterline.config.Json;
import io.asterline.config.Settings;
import io.asterline.did.DidConfig;
import io.asterline.realtime.OpenAiConfig;
import io.asterline.secrets.SecretBox;
import io.asterline.secrets.SecretsConfig;
import io.asterline.tenant.TenantApiKeys;
import io.asterline.twilio.StreamControl;
import io.asterline.twilio.TwilioConfig;
import io.asterline.twilio.TwilioStandIn;
import io.asterline.twiliomedia.TwilioMedia;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;

/**
 * The node under test, alone in its JVM: the Twilio Media Streams server wired as in production (database, Realtime
 * client, the stand-in account's auth token), driven by {@link TwilioBench} over stdin/stdout. Its call control
 * answers at once and does nothing else. Args: jdbcUrl realtimeUrl.
 */
public final class TwilioNode {

  public static void main(String[] args) throws Exception {
    HikariConfig hc = new HikariConfig();
    hc.setPoolName("node-db");
    hc.setJdbcUrl(args[0]);
    hc.setUsername("postgres");
    hc.setMaximumPoolSize(8);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Settings settings = Settings.of(Map.of(), System.getenv(), Map.of("openai.api-key", "sk-bench", "realtime.url",
        args[1], "twilio.account-sid", TwilioStandIn.ACCOUNT_SID, "twilio.auth-token", TwilioStandIn.AUTH_TOKEN,
        "twilio.webhook-base-url", "https://asterline.example.com", "twilio.media.port", "0",
        "twilio.media.bind", "127.0.0.1"));
    StreamControl control = new StreamControl() {
      @Override
      public CompletableFuture<Void> agentDone(UUID callId, String callSid) {
        return CompletableFuture.completedFuture(null);
      }

      @Override
      public void streamEnded(UUID callId, String callSid, boolean afterAgentDone, Path recording) {}
    };
    Path recordings = Files.createTempDirectory("bench-twilio-recordings");
    try (HikariDataSource ds = new HikariDataSource(hc);
        Agents agents = Agents.start(OpenAiConfig.from(settings), DSL.using(ds, SQLDialect.POSTGRES),
            new TenantApiKeys(DSL.using(ds, SQLDialect.POSTGRES), new SecretBox(SecretsConfig.from(settings))),
            Json.mapper(), registry,
            io.asterline.degraded.DegradedMode.open(Files.createTempDirectory("bench-data"), 100_000_000,
                Json.mapper()));
        TwilioMedia media = TwilioMedia.start(TwilioConfig.from(settings, DidConfig.from(settings).twilio()), agents,
            DSL.using(ds, SQLDialect.POSTGRES), recordings, control, Json.mapper())) {
      System.out.println("PORT " + media.port());
      System.out.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
      OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
      for (String line; (line = in.readLine()) != null && !line.equals("quit"); ) {
        if (line.equals("cpu")) {
          System.out.println("CPU " + os.getProcessCpuTime());
        } else if (line.equals("stats")) {
          Timer stop = registry.find("asterline.agent.barge.in.stop").timer();
          double p99 = -1;
          if (stop != null) {
            for (ValueAtPercentile v : stop.takeSnapshot().percentileValues()) {
              if (v.percentile() == 0.99) {
                p99 = v.value(TimeUnit.MILLISECONDS);
              }
            }
          }
          System.out.println("STATS " + media.activeCalls() + " " + p99 + " "
              + ManagementFactory.getThreadMXBean().getThreadCount());
        }
        System.out.flush();
      }
    }
    System.exit(0);
  }
}
