package io.asterline.recording;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.RECORDING_JOB;
import static org.assertj.core.api.Assertions.assertThat;

import io.asterline.db.TestDatabase;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two nodes' workers racing for the same queue: every job is done, and done once. */
class RecordingRaceTest {

  @TempDir
  Path recordings;

  @Test
  void twoNodesRacingForTheSameJobsDoEachJobOnce() throws Exception {
    int count = 30;
    try (TestDatabase.Db db = TestDatabase.fresh(12)) {
      RecordingConfig config = Fixtures.config("http://127.0.0.1:9/v1");
      RecordingJobs jobs = new RecordingJobs(db.dsl());
      long tenant = Fixtures.tenant(db.dsl(), "acme", true);
      List<UUID> calls = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        UUID id = UUID.randomUUID();
        Path file = Fixtures.recording(recordings, tenant, id, Fixtures.wav(200));
        Fixtures.call(db.dsl(), tenant, OffsetDateTime.now().minusMinutes(1), file);
        db.dsl().update(CALL).set(CALL.ID, id).where(CALL.RECORDING_FILE.eq(file.toString())).execute();
        jobs.enqueue(id, tenant, file.toString());
        calls.add(id);
      }
      Map<String, AtomicInteger> transcribed = new ConcurrentHashMap<>();
      Map<String, String> byWorker = new ConcurrentHashMap<>();
      Transcriber counting = (audio, name, language, beforeUpload) -> {
        beforeUpload.run();
        transcribed.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
        byWorker.put(name, Thread.currentThread().getName());
        Thread.sleep(3);
        return new Transcriber.Transcript("text of " + name, 1);
      };
      LocalStorage storage = new LocalStorage(Optional.empty());
      try (RecordingWorkers a = new RecordingWorkers(config, jobs,
              Fixtures.processor(config, recordings, jobs, storage, counting), "node-a");
          RecordingWorkers b = new RecordingWorkers(config, jobs,
              Fixtures.processor(config, recordings, jobs, storage, counting), "node-b")) {
        a.start(2);
        b.start(2);
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (db.dsl().fetchCount(RECORDING_JOB, RECORDING_JOB.STATE.eq("done")) < count
            && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }
      }

      assertThat(db.dsl().fetchCount(RECORDING_JOB, RECORDING_JOB.STATE.eq("done"))).isEqualTo(count);
      assertThat(db.dsl().fetchCount(RECORDING_JOB, RECORDING_JOB.ATTEMPTS.ne(1))).isZero();
      assertThat(transcribed).hasSize(count);
      assertThat(transcribed.values()).allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
      for (UUID id : calls) {
        assertThat(db.dsl().select(CALL.TRANSCRIPT).from(CALL).where(CALL.ID.eq(id)).fetchOne(CALL.TRANSCRIPT))
            .isEqualTo("text of " + id + ".wav");
      }
      assertThat(byWorker.values()).allMatch(t -> t.startsWith("recording-worker-"));
    }
  }

  @Test
  void stoppingTheNodeHandsTheJobInProgressBackWithoutCountingTheAttempt() throws Exception {
    try (TestDatabase.Db db = TestDatabase.fresh(4)) {
      RecordingConfig config = Fixtures.config("http://127.0.0.1:9/v1");
      RecordingJobs jobs = new RecordingJobs(db.dsl());
      long tenant = Fixtures.tenant(db.dsl(), "acme", true);
      UUID id = UUID.randomUUID();
      Path file = Fixtures.recording(recordings, tenant, id, Fixtures.wav(200));
      Fixtures.call(db.dsl(), tenant, OffsetDateTime.now().minusMinutes(1), file);
      db.dsl().update(CALL).set(CALL.ID, id).where(CALL.RECORDING_FILE.eq(file.toString())).execute();
      java.util.concurrent.CountDownLatch uploading = new java.util.concurrent.CountDownLatch(1);
      Transcriber slow = (audio, name, language, beforeUpload) -> {
        uploading.countDown();
        Thread.sleep(60_000);
        throw new AssertionError("not interrupted");
      };
      RecordingWorkers node = new RecordingWorkers(config, jobs,
          Fixtures.processor(config, recordings, jobs, new LocalStorage(Optional.empty()), slow), "node-a").start(1);
      RecordingQueue queue = new RecordingQueue(jobs, node::wakeUp);
      queue.ended(id, tenant, file.toString());
      assertThat(uploading.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();

      long t0 = System.nanoTime();
      node.close();
      assertThat(System.nanoTime() - t0).isLessThan(5_000_000_000L);

      RecordingJobs.Job job = jobs.findByCall(id).orElseThrow();
      assertThat(job.state()).isEqualTo("pending");
      assertThat(job.step()).isEqualTo("transcribe");
      assertThat(job.attempts()).isZero();
      assertThat(job.leaseToken()).isNull();
      assertThat(jobs.claim("next", config.lease())).isPresent();
    }
  }
}
