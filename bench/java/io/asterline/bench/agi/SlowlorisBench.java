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
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * FastAGI under a slowloris attack: N connections (default 500) from loopback addresses 127.0.1.x (two per
 * address, so the per-source limit does not stop them), each sending one header byte every few seconds (default
 * 3 s) and reconnecting whenever it is closed, while simulated Asterisk calls send real {@code inbound} requests
 * from 127.0.0.1. Prints the real requests' latency percentiles and how many went unanswered, first without the
 * attack, then with it. The service runs with the shipped defaults (agi.pool-size 500, agi.read-timeout 5s,
 * agi.request-timeout 3s).
 *
 * <p>Options: --attackers 500 --trickle-ms 3000 --callers 20 --seconds 15
 */
public final class SlowlorisBench {

  public static void main(String[] args) throws Exception {
    int attackers = option(args, "--attackers", 500);
    int trickleMs = option(args, "--trickle-ms", 3000);
    int callers = option(args, "--callers", 20);
    int seconds = option(args, "--seconds", 15);

    TestDatabase.Db db = TestDatabase.fresh(20);
    long tenant = db.dsl().insertInto(TENANT).set(TENANT.NAME, "bench").set(TENANT.MAX_CONCURRENT_CALLS, 1_000_000)
        .returning(TENANT.ID).fetchOne(TENANT.ID);
    db.dsl().insertInto(DID).set(DID.TENANT_ID, tenant).set(DID.NUMBER, "+15551234567").set(DID.TRUNK, "TWILIO")
        .execute();
    AgiConfig config = AgiConfig.from(Settings.of(Map.of(), Map.of(),
        Map.of("agi.port", "0", "admission.max-calls", "1000000")));
    AgiService agi = AgiService.start(config, new io.asterline.admission.Admission(db.dsl(),
        new io.asterline.admission.AdmissionConfig(1_000_000, java.time.Duration.ofHours(4))), Files.createTempDirectory("bench-recordings"), db.dsl(), 16,
        CallEvents.NONE, new SimpleMeterRegistry(), Map.of(),
        io.asterline.degraded.TestDegradedMode.open());
    FakeAsterisk asterisk = new FakeAsterisk(agi.port());
    System.out.printf("FastAGI under slowloris: %d attackers (1 byte / %d ms), %d callers, %d s per phase, %d cores,"
        + " pool %d, read-timeout %s, request-timeout %s, max per source %d%n", attackers, trickleMs, callers,
        seconds, Runtime.getRuntime().availableProcessors(), config.poolSize(), config.readTimeout(),
        config.requestTimeout(), config.maxConnectionsPerSource());

    measure("warm-up", asterisk, callers, 3);
    measure("no attack", asterisk, callers, seconds);

    AtomicBoolean attacking = new AtomicBoolean(true);
    ConcurrentLinkedQueue<Socket> open = new ConcurrentLinkedQueue<>();
    AtomicLong reconnects = new AtomicLong();
    ScheduledExecutorService trickle = Executors.newScheduledThreadPool(4);
    for (int i = 0; i < attackers; i++) {
      String from = "127.0.1." + (1 + i / 2 % 254);
      trickle.execute(() -> slowloris(from, agi.port(), trickleMs, trickle, attacking, open, reconnects));
    }
    Thread.sleep(1000);
    System.out.printf("attack running: %d connections open%n", open.size());
    measure("under attack", asterisk, callers, seconds);
    System.out.printf("attack: %d connections open at the end, %d reconnects after the server closed them%n",
        open.size(), reconnects.get());
    attacking.set(false);
    trickle.shutdownNow();
    for (Socket s : open) {
      s.close();
    }
    agi.close();
    db.close();
    System.exit(0);
  }

  private static void measure(String phase, FakeAsterisk asterisk, int callers, int seconds) throws Exception {
    List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
    AtomicLong unanswered = new AtomicLong();
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    List<Thread> threads = new ArrayList<>();
    for (int c = 0; c < callers; c++) {
      Thread t = new Thread(() -> {
        while (System.nanoTime() < until) {
          long start = System.nanoTime();
          try {
            FakeAsterisk.Exchange x = asterisk.send(FakeAsterisk.request("inbound").args("+15550000000"));
            if (x.commands().isEmpty() || !"UNKNOWN_DID".equals(x.status())) {
              unanswered.incrementAndGet();
            } else {
              latencies.add(System.nanoTime() - start);
            }
          } catch (IOException | RuntimeException e) {
            unanswered.incrementAndGet();
          }
        }
      }, "caller-" + c);
      t.start();
      threads.add(t);
    }
    for (Thread t : threads) {
      t.join();
    }
    long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
    System.out.printf("%-12s answered %6d (%5.0f/s), unanswered %d, latency ms p50 %.2f p99 %.2f max %.2f%n", phase,
        sorted.length, sorted.length / (double) seconds, unanswered.get(), pct(sorted, 50), pct(sorted, 99),
        sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1] / 1e6);
  }

  private static double pct(long[] sorted, double p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int i = (int) Math.min(sorted.length - 1, Math.ceil(p / 100.0 * sorted.length) - 1);
    return sorted[Math.max(0, i)] / 1e6;
  }

  private static void slowloris(String from, int port, int trickleMs, ScheduledExecutorService trickle,
      AtomicBoolean attacking, ConcurrentLinkedQueue<Socket> open, AtomicLong reconnects) {
    if (!attacking.get()) {
      return;
    }
    Socket s = new Socket();
    try {
      s.bind(new InetSocketAddress(from, 0));
      s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
      open.add(s);
      byte[] head = "agi_network: yes\n".getBytes(StandardCharsets.US_ASCII);
      int[] next = {0};
      Runnable[] step = new Runnable[1];
      step[0] = () -> {
        try {
          s.getOutputStream().write(head[next[0]++ % head.length]);
          trickle.schedule(step[0], trickleMs, TimeUnit.MILLISECONDS);
        } catch (IOException e) {
          open.remove(s);
          close(s);
          reconnects.incrementAndGet();
          trickle.execute(() -> slowloris(from, port, trickleMs, trickle, attacking, open, reconnects));
        } catch (RejectedExecutionException stopped) {
          close(s);
        }
      };
      step[0].run();
    } catch (IOException | RejectedExecutionException e) {
      close(s);
    }
  }

  private static void close(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // gone
    }
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
