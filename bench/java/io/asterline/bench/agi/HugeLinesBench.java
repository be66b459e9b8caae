package io.asterline.bench.agi;

import static io.asterline.db.generated.Tables.DID;
import static io.asterline.db.generated.Tables.TENANT;

import io.asterline.agi.AgiConfig;
import io.asterline.agi.AgiService;
import io.asterline.agi.FakeAsterisk;
import io.asterline.call.CallEvents;
import io.asterline.config.Settings;
import io.asterline.db.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * FastAGI against huge lines: N connections (default 6) each send one line of M MB (default 80) without a
 * newline, as the header Asterisk would send, while a sampler records the heap every 20 ms. Prints the heap
 * before, its peak during and after, how many bytes each connection got in before the server closed it, and
 * whether a real inbound request is still answered. Run it with a small heap to see that nothing is buffered:
 * {@code BENCH_JAVA_OPTS=-Xmx384m bench/agi/huge-lines}.
 *
 * <p>Options: --connections 6 --megabytes 80
 */
public final class HugeLinesBench {

  public static void main(String[] args) throws Exception {
    int connections = option(args, "--connections", 6);
    int megabytes = option(args, "--megabytes", 80);
    TestDatabase.Db db = TestDatabase.fresh(8);
    long tenant = db.dsl().insertInto(TENANT).set(TENANT.NAME, "bench").returning(TENANT.ID).fetchOne(TENANT.ID);
    db.dsl().insertInto(DID).set(DID.TENANT_ID, tenant).set(DID.NUMBER, "+15551234567").set(DID.TRUNK, "TWILIO")
        .execute();
    AgiConfig config = AgiConfig.from(Settings.of(Map.of(), Map.of(), Map.of("agi.port", "0")));
    AgiService agi = AgiService.start(config, new io.asterline.admission.Admission(db.dsl(),
        new io.asterline.admission.AdmissionConfig(1000, java.time.Duration.ofHours(4))), Files.createTempDirectory("bench-recordings"), db.dsl(), 8,
        CallEvents.NONE, new SimpleMeterRegistry(), Map.of(),
        io.asterline.degraded.TestDegradedMode.open());
    FakeAsterisk asterisk = new FakeAsterisk(agi.port());
    asterisk.send(FakeAsterisk.request("inbound").args("+15551234567"));

    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    System.gc();
    long before = memory.getHeapMemoryUsage().getUsed();
    AtomicLong peak = new AtomicLong(before);
    Thread sampler = new Thread(() -> {
      while (!Thread.currentThread().isInterrupted()) {
        peak.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "heap-sampler");
    sampler.setDaemon(true);
    sampler.start();

    long[] accepted = new long[connections];
    List<Thread> senders = new ArrayList<>();
    for (int i = 0; i < connections; i++) {
      int n = i;
      Thread t = new Thread(() -> accepted[n] = sendHugeLine(agi.port(), megabytes), "huge-line-" + i);
      t.start();
      senders.add(t);
    }
    for (Thread t : senders) {
      t.join();
    }
    String status = asterisk.send(FakeAsterisk.request("inbound").args("+15551234567")).status();
    sampler.interrupt();
    System.gc();
    long after = memory.getHeapMemoryUsage().getUsed();
    long max = memory.getHeapMemoryUsage().getMax();
    System.out.printf("FastAGI, %d connections each sending a %d MB line without a newline (max heap %d MB)%n",
        connections, megabytes, max >> 20);
    System.out.printf("heap: %d MB before, %d MB peak while sending, %d MB after%n", before >> 20, peak.get() >> 20,
        after >> 20);
    for (int i = 0; i < connections; i++) {
      System.out.printf("connection %d: %.1f MB written before the server closed it%n", i, accepted[i] / 1048576.0);
    }
    System.out.printf("a real inbound request afterwards: %s%n", status);
    agi.close();
    db.close();
    System.exit(0);
  }

  /** Bytes written before the server closed the connection (the kernel's buffers included). */
  private static long sendHugeLine(int port, int megabytes) {
    long written = 0;
    byte[] chunk = new byte[64 * 1024];
    java.util.Arrays.fill(chunk, (byte) 'a');
    byte[] head = "agi_network_script: ".getBytes(StandardCharsets.US_ASCII);
    try (Socket s = new Socket("127.0.0.1", port)) {
      OutputStream out = s.getOutputStream();
      out.write(head);
      written += head.length;
      long total = (long) megabytes << 20;
      while (written < total) {
        out.write(chunk);
        written += chunk.length;
      }
    } catch (IOException e) {
      // closed by the server: what is being measured
    }
    return written;
  }

  private static int option(String[] args, String name, int fallback) {
    for (int i = 0; i < args.length - 1; i++) {
      if (args[i].equals(name)) {
        return Integer.parseInt(args[i + 1]);
      }
    }
    return fallback;
  }
}
