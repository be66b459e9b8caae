package io.asterline.bench.recording;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.RECORDING_JOB;
import static io.asterline.db.generated.Tables.TENANT;

import io.asterline.config.Json;
import io.asterline.config.Settings;
import io.asterline.db.TestDatabase;
import io.asterline.realtime.OpenAiConfig;
import io.asterline.recording.RecordingConfig;
import io.asterline.recording.RecordingQueue;
import io.asterline.recording.Recordings;
import io.asterline.recording.StorageConfig;
import io.asterline.report.Report;
import io.asterline.report.ReportCatalog;
import io.asterline.report.ReportParams;
import io.asterline.report.ReportRunner;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Prints: call-end enqueue latency (p50/p99, it runs on the AGI thread), recording jobs per second through
 * two nodes of two workers each (capture + local store, transcription off), and each built-in report's run
 * time over seeded calls.
 */
public final class RecordingBench {

  public static void main(String[] args) throws Exception {
    int jobs = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int reportCalls = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
    Path dir = Files.createTempDirectory("recording-bench");
    try (TestDatabase.Db db = TestDatabase.fresh(20)) {
      long tenant = db.dsl().insertInto(TENANT).set(TENANT.NAME, "bench").set(TENANT.TRANSCRIPTION_ENABLED, false)
          .returning(TENANT.ID).fetchOne().getId();
      byte[] wav = wav(8000);
      List<UUID> calls = new ArrayList<>();
      List<Path> files = new ArrayList<>();
      for (int i = 0; i < jobs; i++) {
        UUID id = UUID.randomUUID();
        Path f = dir.resolve(tenant + "/" + id + ".wav");
        Files.createDirectories(f.getParent());
        Files.write(f, wav);
        Files.setLastModifiedTime(f, FileTime.from(Instant.now().minusSeconds(60)));
        db.dsl().insertInto(CALL).set(CALL.ID, id).set(CALL.TENANT_ID, tenant).set(CALL.DIRECTION, "inbound")
            .set(CALL.STATE, "ended").set(CALL.CREATED_AT, OffsetDateTime.now().minusMinutes(2))
            .set(CALL.ENDED_AT, OffsetDateTime.now().minusMinutes(1)).execute();
        calls.add(id);
        files.add(f);
      }
      Settings settings = Settings.of(Map.of(), Map.of(), Map.of(
          "recordings.dir", dir.toString(),
          "recordings.workers", "2",
          "recordings.poll-interval", "50ms"));
      RecordingConfig config = RecordingConfig.from(settings);
      StorageConfig storage = StorageConfig.from(settings);
      OpenAiConfig openai = OpenAiConfig.from(settings);

      // enqueue, as call-end does, with the workers not yet running
      Recordings idle = Recordings.start(
          RecordingConfig.from(Settings.of(Map.of(), Map.of(), Map.of("recordings.workers", "0"))), storage,
          openai, db.dsl(), Json.mapper(), new SimpleMeterRegistry());
      RecordingQueue queue = idle.queue();
      long[] nanos = new long[jobs];
      for (int i = 0; i < jobs; i++) {
        long t0 = System.nanoTime();
        queue.ended(calls.get(i), tenant, files.get(i).toString());
        nanos[i] = System.nanoTime() - t0;
      }
      idle.close();
      Arrays.sort(nanos);
      System.out.printf("enqueue (call-end): %d calls, p50 %.2f ms, p99 %.2f ms%n", jobs,
          nanos[jobs / 2] / 1e6, nanos[(int) (jobs * 0.99)] / 1e6);

      // two nodes, two workers each, racing for the queue
      long start = System.nanoTime();
      try (Recordings nodeA = Recordings.start(config, storage, openai, db.dsl(), Json.mapper(),
              new SimpleMeterRegistry());
          Recordings nodeB = Recordings.start(config, storage, openai, db.dsl(), Json.mapper(),
              new SimpleMeterRegistry())) {
        while (db.dsl().fetchCount(RECORDING_JOB, RECORDING_JOB.STATE.eq("done")) < jobs) {
          Thread.sleep(10);
          if (System.nanoTime() - start > Duration.ofMinutes(5).toNanos()) {
            throw new IllegalStateException("jobs not done in 5 minutes");
          }
        }
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      System.out.printf("pipeline: %d jobs by 2 nodes x 2 workers in %.2f s = %.0f jobs/s (capture + local store)%n",
          jobs, seconds, jobs / seconds);

      seedCalls(db, tenant, reportCalls);
      ReportRunner runner = new ReportRunner(db.dsl(), Duration.ofMinutes(5));
      ReportCatalog catalog = new ReportCatalog(Path.of("sql/reports"));
      Clock clock = Clock.systemUTC();
      for (ReportCatalog.Entry e : catalog.entries().values()) {
        Report r = e.report().orElseThrow();
        Map<String, String> window = r.params().contains(Report.Param.FROM)
            ? Map.of("from", OffsetDateTime.now().minusDays(30).toString()) : Map.of();
        runner.run(r, ReportParams.parse(window, clock));
        long t0 = System.nanoTime();
        int rows = runner.run(r, ReportParams.parse(window, clock)).size();
        System.out.printf("report %-26s %7.1f ms (%d rows, %d calls over 30 days)%n", r.name(),
            (System.nanoTime() - t0) / 1e6, rows, reportCalls);
      }
    }
  }

  /** Calls spread over 30 days, a fifth of them failed, with answer and first-audio times. */
  private static void seedCalls(TestDatabase.Db db, long tenant, int n) {
    db.dsl().execute("""
        INSERT INTO did (tenant_id, number, segment, trunk, usage_count)
        SELECT {0}, '+1555' || lpad(g::text, 7, '0'), 'seg-' || (g % 5), 'TRUNK' || (g % 3), g
        FROM generate_series(1, 50) g""", org.jooq.impl.DSL.val(tenant));
    db.dsl().execute("""
        INSERT INTO call (id, tenant_id, direction, did_id, state, created_at, answered_at, agent_connected_at,
                          first_audio_at, ended_at, hangup_cause, barge_in_count)
        SELECT gen_random_uuid(), {0}, CASE WHEN g % 2 = 0 THEN 'inbound' ELSE 'outbound' END,
               (SELECT id FROM did ORDER BY number OFFSET (g % 50) LIMIT 1),
               CASE WHEN g % 5 = 0 THEN 'failed' ELSE 'ended' END,
               t, CASE WHEN g % 5 = 0 THEN NULL ELSE t + interval '1 second' END,
               t + interval '1.2 seconds', t + interval '1.5 seconds' + (g % 700) * interval '1 millisecond',
               t + (30 + g % 600) * interval '1 second', CASE WHEN g % 5 = 0 THEN 'CONGESTION' END, g % 3
        FROM (SELECT g, now() - (g * (30 * 86400.0 / {1})) * interval '1 second' AS t
              FROM generate_series(1, {1}) g) s""", org.jooq.impl.DSL.val(tenant), org.jooq.impl.DSL.inline(n));
    db.dsl().execute("ANALYZE");
  }

  private static byte[] wav(int samples) {
    ByteBuffer b = ByteBuffer.allocate(44 + samples * 2).order(ByteOrder.LITTLE_ENDIAN);
    b.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(36 + samples * 2)
        .put("WAVE".getBytes(StandardCharsets.US_ASCII)).put("fmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16)
        .putShort((short) 1).putShort((short) 1).putInt(8000).putInt(16000).putShort((short) 2).putShort((short) 16)
        .put("data".getBytes(StandardCharsets.US_ASCII)).putInt(samples * 2);
    return b.array();
  }
}
