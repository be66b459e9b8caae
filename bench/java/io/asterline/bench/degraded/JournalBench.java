package io.asterline.bench.degraded;

import io.asterline.config.Json;
import io.asterline.degraded.HeldWrite;
import io.asterline.degraded.Journal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * How many DEGRADED admissions a second the journal keeps (each fsync'd before inbound answers): one caller at a
 * time pays a whole fsync per call; callers arriving together share them. {@code JournalBench [dir] [holds]}.
 */
public final class JournalBench {

  public static void main(String[] args) throws Exception {
    Path base = Path.of(args.length > 0 ? args[0] : "target");
    int total = args.length > 1 ? Integer.parseInt(args[1]) : 4000;
    Files.createDirectories(base);
    OffsetDateTime at = OffsetDateTime.now(ZoneOffset.UTC);
    for (int threads : new int[] {1, 8, 64}) {
      Path dir = Files.createTempDirectory(base.toAbsolutePath(), "journal-bench");
      try (Journal journal = Journal.open(dir, Integer.MAX_VALUE, Json.mapper())) {
        int per = Math.max(1, total / threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        long start = System.nanoTime();
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          done.add(pool.submit(() -> {
            for (int i = 0; i < per; i++) {
              journal.hold(new HeldWrite.CallAdmitted(UUID.randomUUID(), 7, UUID.randomUUID(), "+15550001111",
                  "1700000000.1", "PJSIP/trunk-0001", at));
            }
            return null;
          }));
        }
        for (Future<?> f : done) {
          f.get();
        }
        long nanos = System.nanoTime() - start;
        pool.shutdown();
        int n = per * threads;
        System.out.printf("%2d callers at once: %5d holds in %6.0f ms = %6.0f holds/s, %.2f ms each%n", threads, n,
            nanos / 1e6, n * 1e9 / nanos, nanos / 1e6 / per);
        // the bench's records are not calls: nothing is to be replayed anywhere
        while (journal.oldest().isPresent()) {
          journal.committed(journal.oldest().get());
        }
      }
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
