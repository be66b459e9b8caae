package io.asterline.bench.did;

import static io.asterline.db.generated.Tables.TENANT;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.asterline.config.Json;
import io.asterline.db.Database;
import io.asterline.db.Migrations;
import io.asterline.did.DidRepository;
import io.asterline.did.DidService;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;

/**
 * Caller-ID picks ({@link DidService#selectCallerId}) from many concurrent callers against a real
 * PostgreSQL: throughput, and the latency each caller sees including the wait for a pooled connection.
 * Three pools: 10 numbers (every caller fights over the same rows), 200 (a typical segment) and 2,000 (a
 * pick sorts its pool, so this shows what a big local-presence pool costs),
 * each measured flat out (the most picks/s the database gives) and paced at the target rate (the latency a
 * caller sees at that load).
 *
 * <p>Args: [callers=64] [seconds=10] [pool size=16 (the service default)] [offered picks/s=2000].
 */
public final class DidPickBench {

  private DidPickBench() {}

  public static void main(String[] args) throws Exception {
    int callers = args.length > 0 ? Integer.parseInt(args[0]) : 64;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    int poolSize = args.length > 2 ? Integer.parseInt(args[2]) : 16;
    int offered = args.length > 3 ? Integer.parseInt(args[3]) : 2000;
    Path dir = Files.createTempDirectory("did-bench");
    try (EmbeddedPostgres pg = Database.startEmbedded(dir, 0)) {
      Migrations.apply(pg.getPostgresDatabase());
      HikariConfig hc = new HikariConfig();
      hc.setPoolName("did-bench");
      hc.setJdbcUrl(pg.getJdbcUrl("postgres", "postgres"));
      hc.setUsername("postgres");
      hc.setPassword(Database.embeddedPassword(dir));
      hc.setMaximumPoolSize(poolSize);
      hc.setMinimumIdle(poolSize);
      hc.setConnectionTimeout(10_000);
      try (HikariDataSource ds = new HikariDataSource(hc)) {
        DSLContext dsl = DSL.using(ds, SQLDialect.POSTGRES);
        long tenant = dsl.insertInto(TENANT).set(TENANT.NAME, "bench").returning(TENANT.ID).fetchOne(TENANT.ID);
        dsl.execute("""
            INSERT INTO did (tenant_id, number, segment, trunk)
            SELECT {0}, '+1415' || lpad(g::text, 7, '0'),
                   CASE WHEN g < 10 THEN 's10' WHEN g < 210 THEN 's200' ELSE 's2000' END, 'TWILIO'
            FROM generate_series(0, 2209) g""", DSL.val(tenant));
        SimpleMeterRegistry metrics = new SimpleMeterRegistry();
        DidService dids = new DidService(new DidRepository(dsl, Json.mapper(), OptionalInt.empty(), Duration.ZERO,
            ZoneId.of("UTC")), "1", metrics);
        System.out.printf("DID pick benchmark: %d callers, %d s per run, %d pooled connections, embedded PostgreSQL"
            + " (synchronous_commit=off), %d cores, load average %.1f at start%n", callers, seconds, poolSize,
            Runtime.getRuntime().availableProcessors(),
            java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        for (String segment : List.of("s10", "s200", "s2000")) {
          String name = String.format("%4s", segment.substring(1));
          run(dids, tenant, segment, callers, 2, 0);
          Counter retries = metrics.get("asterline.did.pick.retries").counter();
          double retries0 = retries.count();
          Result r = run(dids, tenant, segment, callers, seconds, 0);
          double perPick = (retries.count() - retries0) / r.picks;
          System.out.printf("segment of %s DIDs, flat out:           %,7.0f picks/s   p50 %6.2f ms   p99 %7.2f ms"
              + "   max %7.2f ms   (%,d picks, %.2f retries per pick)%n",
              name, r.perSecond, r.p50Ms, r.p99Ms, r.maxMs, r.picks, perPick);
          retries0 = retries.count();
          Result paced = run(dids, tenant, segment, callers, seconds, offered);
          perPick = (retries.count() - retries0) / paced.picks;
          System.out.printf("segment of %s DIDs, %,d picks/s offered: %,7.0f picks/s   p50 %6.2f ms   p99 %7.2f ms"
              + "   max %7.2f ms   (%,d picks, %.2f retries per pick)%n",
              name, offered, paced.perSecond, paced.p50Ms, paced.p99Ms, paced.maxMs, paced.picks, perPick);
        }
      }
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
      }
    }
  }

  private record Result(long picks, double perSecond, double p50Ms, double p99Ms, double maxMs) {}

  /**
   * Callers pick until the time is up. With {@code offered} = 0 each caller picks again as soon as it has its
   * answer (the most the database gives); otherwise the callers together start {@code offered} picks per
   * second on a fixed schedule, and latency counts from the scheduled start, so a pick delayed by a slow one
   * before it is charged for the wait (no coordinated omission).
   */
  private static Result run(DidService dids, long tenant, String segment, int callers, int seconds, int offered)
      throws Exception {
    AtomicInteger names = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(callers,
        r -> new Thread(r, "bench-caller-" + names.incrementAndGet()));
    AtomicBoolean stop = new AtomicBoolean();
    CountDownLatch start = new CountDownLatch(1);
    long intervalNanos = offered == 0 ? 0 : (long) (1e9 * callers / offered);
    long[] begin = new long[1];
    List<Future<long[]>> results = new ArrayList<>();
    for (int c = 0; c < callers; c++) {
      long offset = intervalNanos * c / callers;
      results.add(pool.submit(() -> {
        long[] lat = new long[1 << 12];
        int n = 0;
        start.await();
        long next = begin[0] + offset;
        while (!stop.get()) {
          long t0;
          if (intervalNanos == 0) {
            t0 = System.nanoTime();
          } else {
            long now;
            while ((now = System.nanoTime()) < next) {
              LockSupport.parkNanos(next - now);
            }
            t0 = next;
            next += intervalNanos;
          }
          dids.selectCallerId(tenant, Optional.empty(), Optional.of(segment), Optional.empty())
              .orElseThrow(() -> new IllegalStateException("no DID picked"));
          if (n == lat.length) {
            lat = Arrays.copyOf(lat, n * 2);
          }
          lat[n++] = System.nanoTime() - t0;
        }
        return Arrays.copyOf(lat, n);
      }));
    }
    begin[0] = System.nanoTime();
    start.countDown();
    Thread.sleep(seconds * 1000L);
    stop.set(true);
    List<long[]> all = new ArrayList<>();
    for (Future<long[]> f : results) {
      all.add(f.get());
    }
    long elapsed = System.nanoTime() - begin[0];
    pool.shutdown();
    long[] lat = all.stream().flatMapToLong(Arrays::stream).sorted().toArray();
    return new Result(lat.length, lat.length / (elapsed / 1e9), lat[lat.length / 2] / 1e6,
        lat[(int) Math.min(lat.length - 1, Math.ceil(lat.length * 0.99) - 1)] / 1e6, lat[lat.length - 1] / 1e6);
  }
}
