package io.asterline.bench.did;

import static io.asterline.db.generated.Tables.DID;
import static io.asterline.db.generated.Tables.TENANT;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.asterline.app.Json;
import io.asterline.db.Database;
import io.asterline.db.Migrations;
import io.asterline.did.DidRepository;
import io.asterline.did.DidService;
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
import java.util.stream.Stream;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;

/**
 * Caller-ID picks ({@link DidService#selectCallerId}) from many concurrent callers against a real
 * PostgreSQL: throughput, and the latency each caller sees including the wait for a pooled connection.
 * Two pools: 10 numbers (every caller fights over the same rows) and 200 numbers (a realistic segment).
 *
 * <p>Args: [callers=64] [seconds=10] [pool size=16 (the service default)].
 */
public final class DidPickBench {

  private DidPickBench() {}

  public static void main(String[] args) throws Exception {
    int callers = args.length > 0 ? Integer.parseInt(args[0]) : 64;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    int poolSize = args.length > 2 ? Integer.parseInt(args[2]) : 16;
    Path dir = Files.createTempDirectory("did-bench");
    try (EmbeddedPostgres pg = Database.startEmbedded(dir, 0)) {
      Migrations.apply(pg.getPostgresDatabase());
      HikariConfig hc = new HikariConfig();
      hc.setPoolName("did-bench");
      hc.setJdbcUrl(pg.getJdbcUrl("postgres", "postgres"));
      hc.setUsername("postgres");
      hc.setMaximumPoolSize(poolSize);
      hc.setMinimumIdle(poolSize);
      hc.setConnectionTimeout(10_000);
      try (HikariDataSource ds = new HikariDataSource(hc)) {
        DSLContext dsl = DSL.using(ds, SQLDialect.POSTGRES);
        long tenant = dsl.insertInto(TENANT).set(TENANT.NAME, "bench").returning(TENANT.ID).fetchOne(TENANT.ID);
        for (int i = 0; i < 210; i++) {
          dsl.insertInto(DID).set(DID.TENANT_ID, tenant).set(DID.NUMBER, String.format("+1415555%04d", i))
              .set(DID.SEGMENT, i < 10 ? "small" : "large").set(DID.TRUNK, "TWILIO").execute();
        }
        DidService dids = new DidService(new DidRepository(dsl, Json.mapper(), OptionalInt.empty(), Duration.ZERO,
            ZoneId.of("UTC")), "1");
        System.out.printf("DID pick benchmark: %d callers, %d s per run, %d pooled connections, embedded PostgreSQL"
            + " (synchronous_commit=off), %d cores%n", callers, seconds, poolSize,
            Runtime.getRuntime().availableProcessors());
        for (String segment : List.of("small", "large")) {
          run(dids, tenant, segment, callers, 2, false);
          long tx0 = transactions(dsl);
          Result r = run(dids, tenant, segment, callers, seconds, true);
          // every statement is its own transaction: this counts statements per pick (retries included)
          double perPick = (transactions(dsl) - tx0 - 1) / (double) r.picks;
          System.out.printf("segment of %3d DIDs: %,8.0f picks/s   p50 %6.2f ms   p99 %6.2f ms   max %7.2f ms"
              + "   (%,d picks, %.2f statements per pick)%n",
              segment.equals("small") ? 10 : 200, r.perSecond, r.p50Ms, r.p99Ms, r.maxMs, r.picks, perPick);
        }
      }
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static long transactions(DSLContext dsl) {
    dsl.execute("select pg_stat_clear_snapshot()");
    return dsl.fetchOne("select xact_commit + xact_rollback from pg_stat_database where datname = current_database()")
        .get(0, Long.class);
  }

  private record Result(long picks, double perSecond, double p50Ms, double p99Ms, double maxMs) {}

  private static Result run(DidService dids, long tenant, String segment, int callers, int seconds, boolean report)
      throws Exception {
    AtomicInteger names = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(callers,
        r -> new Thread(r, "bench-caller-" + names.incrementAndGet()));
    AtomicBoolean stop = new AtomicBoolean();
    CountDownLatch start = new CountDownLatch(1);
    List<Future<long[]>> results = new ArrayList<>();
    for (int c = 0; c < callers; c++) {
      results.add(pool.submit(() -> {
        long[] lat = new long[1 << 16];
        int n = 0;
        start.await();
        while (!stop.get()) {
          long t0 = System.nanoTime();
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
    long t0 = System.nanoTime();
    start.countDown();
    Thread.sleep(seconds * 1000L);
    stop.set(true);
    List<long[]> all = new ArrayList<>();
    for (Future<long[]> f : results) {
      all.add(f.get());
    }
    long elapsed = System.nanoTime() - t0;
    pool.shutdown();
    long[] lat = all.stream().flatMapToLong(Arrays::stream).sorted().toArray();
    if (!report || lat.length == 0) {
      return null;
    }
    return new Result(lat.length, lat.length / (elapsed / 1e9), lat[lat.length / 2] / 1e6,
        lat[(int) Math.min(lat.length - 1, Math.ceil(lat.length * 0.99) - 1)] / 1e6, lat[lat.length - 1] / 1e6);
  }
}
