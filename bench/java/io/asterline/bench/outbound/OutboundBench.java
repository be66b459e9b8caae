package io.asterline.bench.outbound;

import io.asterline.outbound.FakeAmi;
import io.asterline.outbound.OutboundFixture;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Places calls through POST /api/outbound/call against the fake AMI (which accepts every originate at once) and
 * prints: API latency (request to 202 'ringing': caller-ID pick, slot, call row, originate sent and accepted),
 * placement throughput, how fast OriginateResponse events turn into ended calls with their slots freed, and how
 * closely one trunk's calls keep to its calls-per-second limit.
 */
public final class OutboundBench {

  public static void main(String[] args) throws Exception {
    int calls = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int concurrency = args.length > 1 ? Integer.parseInt(args[1]) : 8;
    placement(calls, concurrency);
    pacing(60, 20);
    System.exit(0);
  }

  private static void placement(int calls, int concurrency) throws Exception {
    try (OutboundFixture f = OutboundFixture.start(Map.of("outbound.cps", "1000", "outbound.trunk-cps",
        "B1=1000,B2=1000,B3=1000,B4=1000", "admission.max-calls", "100000"), 100000)) {
      for (int i = 0; i < 4; i++) {
        f.did("+1555000100" + i, "bench", "B" + (i + 1));
      }
      f.awaitAmiUp();
      String body = "{\"business_id\":" + f.tenant + ",\"lead_id\":1,\"to_number\":\"+15559990000\","
          + "\"did_segment\":\"bench\"}";
      // warm-up: JIT, pools, prepared statements
      for (int i = 0; i < 100; i++) {
        f.post("/api/outbound/call", f.token, body);
      }
      for (FakeAmi.Packet p : drain(f, 100)) {
        f.ami.originateResponse(p, 5);
      }
      waitFor(() -> f.dsl.fetchCount(io.asterline.db.generated.Tables.ADMISSION_SLOT) == 0);
      ExecutorService pool = Executors.newFixedThreadPool(concurrency);
      long[] latencies = new long[calls];
      List<Future<?>> done = new ArrayList<>();
      long start = System.nanoTime();
      for (int i = 0; i < calls; i++) {
        int n = i;
        done.add(pool.submit(() -> {
          long t0 = System.nanoTime();
          HttpResponse<String> r = f.post("/api/outbound/call", f.token, body);
          latencies[n] = System.nanoTime() - t0;
          if (r.statusCode() != 202 || !r.body().contains("\"ringing\"")) {
            throw new IllegalStateException("unexpected answer " + r.statusCode() + " " + r.body());
          }
          return null;
        }));
      }
      for (Future<?> d : done) {
        d.get();
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      pool.shutdown();
      Arrays.sort(latencies);
      System.out.printf("placement: %d calls, %d concurrent: %.0f calls/s; latency p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
          calls, concurrency, calls / seconds, latencies[calls / 2] / 1e6, latencies[(int) (calls * 0.99)] / 1e6,
          latencies[calls - 1] / 1e6);

      List<FakeAmi.Packet> originates = drain(f, calls);
      long t0 = System.nanoTime();
      for (FakeAmi.Packet p : originates) {
        f.ami.originateResponse(p, 5);
      }
      waitFor(() -> f.dsl.fetchCount(io.asterline.db.generated.Tables.ADMISSION_SLOT) == 0);
      double endSeconds = (System.nanoTime() - t0) / 1e9;
      System.out.printf("originate ended: %d OriginateResponse events -> failed/busy with slots freed in %.2f s "
          + "(%.0f events/s)%n", calls, endSeconds, calls / endSeconds);
    }
  }

  private static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("not done after 2 minutes");
      }
      Thread.sleep(5);
    }
  }

  private static List<FakeAmi.Packet> drain(OutboundFixture f, int n) throws Exception {
    List<FakeAmi.Packet> out = new ArrayList<>();
    while (out.size() < n) {
      FakeAmi.Packet p = f.ami.nextOriginate(30, TimeUnit.SECONDS);
      if (p == null) {
        throw new IllegalStateException("only " + out.size() + " of " + n + " originates arrived");
      }
      out.add(p);
    }
    return out;
  }

  private static void pacing(int calls, double cps) throws Exception {
    try (OutboundFixture f = OutboundFixture.start(Map.of("outbound.cps", Double.toString(cps),
        "outbound.accept-wait", "0ms"), 100000)) {
      f.did("+15550002001", "paced", "PACED");
      f.awaitAmiUp();
      String body = "{\"business_id\":" + f.tenant + ",\"to_number\":\"+15559990000\",\"did_segment\":\"paced\"}";
      for (int i = 0; i < calls; i++) {
        f.post("/api/outbound/call", f.token, body);
      }
      List<FakeAmi.Packet> got = drain(f, calls);
      long[] gaps = new long[calls - 1];
      for (int i = 1; i < calls; i++) {
        gaps[i - 1] = got.get(i).receivedNanos() - got.get(i - 1).receivedNanos();
      }
      Arrays.sort(gaps);
      double span = (got.get(calls - 1).receivedNanos() - got.get(0).receivedNanos()) / 1e9;
      System.out.printf("pacing: %d calls on one trunk at %.0f cps: achieved %.2f cps; gap min %.1f ms, p50 %.1f ms, "
          + "max %.1f ms (target %.1f ms)%n", calls, cps, (calls - 1) / span, gaps[0] / 1e6, gaps[gaps.length / 2] / 1e6,
          gaps[gaps.length - 1] / 1e6, 1000 / cps);
    }
  }
}
