package io.asterline.recording;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.RECORDING_JOB;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.asterline.db.TestDatabase;
import io.asterline.db.generated.tables.records.RecordingJobRecord;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pipeline on local storage, against a local OpenAI transcription endpoint that parses every request. */
class RecordingPipelineTest {

  @TempDir
  Path recordings;

  private TestDatabase.Db db;
  private FakeOpenAi openai;
  private RecordingJobs jobs;
  private final OffsetDateTime callTime = OffsetDateTime.of(2025, 3, 7, 23, 30, 0, 0, ZoneOffset.UTC);

  @BeforeEach
  void setUp() throws IOException {
    db = TestDatabase.fresh(4);
    openai = new FakeOpenAi();
    jobs = new RecordingJobs(db.dsl());
  }

  @AfterEach
  void tearDown() {
    openai.close();
    db.close();
  }

  private RecordingProcessor processor(RecordingConfig config, RecordingStorage storage) {
    return Fixtures.processor(config, recordings, jobs, storage, Fixtures.transcriber(config));
  }

  private RecordingJobRecord job(UUID callId) {
    return db.dsl().selectFrom(RECORDING_JOB).where(RECORDING_JOB.CALL_ID.eq(callId)).fetchOne();
  }

  private String transcript(UUID callId) {
    return db.dsl().select(CALL.TRANSCRIPT).from(CALL).where(CALL.ID.eq(callId)).fetchOne(CALL.TRANSCRIPT);
  }

  @Test
  void transcribesWithTheMultipartFieldsOpenAiExpects() throws IOException {
    RecordingConfig config = Fixtures.config(openai.url(), "transcription.model", "whisper-1");
    long tenant = Fixtures.tenant(db.dsl(), "acme", true);
    UUID callId = UUID.randomUUID();
    Path file = Fixtures.recording(recordings, tenant, callId, Fixtures.wav(8000));
    UUID id = Fixtures.call(db.dsl(), tenant, callTime, file);
    byte[] audio = Files.readAllBytes(file);
    new RecordingQueue(jobs, () -> { }).ended(id, tenant, file.toString());

    assertThat(Fixtures.drain(jobs, processor(config, new LocalStorage(Optional.empty())), config)).isEqualTo(1);

    RecordingJobRecord job = job(id);
    assertThat(job.getState()).isEqualTo("done");
    assertThat(job.getStep()).isEqualTo("done");
    assertThat(job.getCapturedBytes()).isEqualTo(audio.length);
    assertThat(job.getStorage()).isEqualTo("local");
    assertThat(job.getStorageKey()).isEqualTo(file.toString());
    assertThat(job.getTranscription()).isEqualTo("done");
    assertThat(job.getTranscriptParts()).isEqualTo(1);
    assertThat(transcript(id)).isEqualTo("hello from " + id + ".wav");
    assertThat(Files.readAllBytes(file)).isEqualTo(audio);

    assertThat(openai.requests()).hasSize(1);
    FakeOpenAi.Request r = openai.requests().get(0);
    assertThat(r.method()).isEqualTo("POST");
    assertThat(r.path()).isEqualTo("/v1/audio/transcriptions");
    assertThat(r.authorization()).isEqualTo("Bearer " + FakeOpenAi.API_KEY);
    assertThat(r.parts().keySet()).containsExactlyInAnyOrder("model", "response_format", "language", "file");
    assertThat(r.parts().get("model").text()).isEqualTo("whisper-1");
    assertThat(r.parts().get("response_format").text()).isEqualTo("json");
    assertThat(r.parts().get("language").text()).isEqualTo("en");
    assertThat(r.parts().get("file").fileName()).isEqualTo(id + ".wav");
    assertThat(r.parts().get("file").contentType()).isEqualTo("audio/wav");
    assertThat(r.parts().get("file").body()).isEqualTo(audio);
  }

  @Test
  void splitsRecordingsLargerThanTheUploadLimitIntoWholeWavParts() throws IOException {
    RecordingConfig config = Fixtures.config(openai.url(), "transcription.max-upload-bytes", "20000");
    openai.answer(r -> FakeOpenAi.Answer.text("part " + r.parts().get("file").fileName().replaceAll(".*part(\\d)of.*", "$1")));
    long tenant = Fixtures.tenant(db.dsl(), "acme", true);
    UUID id = UUID.randomUUID();
    byte[] audio = Fixtures.wav(20_000);
    Path file = Fixtures.recording(recordings, tenant, id, audio);
    Fixtures.call(db.dsl(), tenant, callTime, file);
    db.dsl().update(CALL).set(CALL.ID, id).where(CALL.RECORDING_FILE.eq(file.toString())).execute();
    jobs.enqueue(id, tenant, file.toString());

    Fixtures.drain(jobs, processor(config, new LocalStorage(Optional.empty())), config);

    List<FakeOpenAi.Request> requests = openai.requests();
    assertThat(requests).hasSize(3);
    ByteBuffer pcm = ByteBuffer.allocate(audio.length - 44);
    for (int i = 0; i < 3; i++) {
      FakeOpenAi.Part f = requests.get(i).parts().get("file");
      assertThat(f.fileName()).isEqualTo(id + ".part" + (i + 1) + "of3.wav");
      assertThat(f.body().length).isLessThanOrEqualTo(20_000);
      ByteBuffer h = ByteBuffer.wrap(f.body()).order(ByteOrder.LITTLE_ENDIAN);
      assertThat(new String(f.body(), 0, 4, StandardCharsets.US_ASCII)).isEqualTo("RIFF");
      assertThat(h.getInt(4)).isEqualTo(f.body().length - 8);
      assertThat(Arrays.copyOfRange(f.body(), 12, 36)).isEqualTo(Arrays.copyOfRange(audio, 12, 36));
      assertThat(new String(f.body(), 36, 4, StandardCharsets.US_ASCII)).isEqualTo("data");
      assertThat(h.getInt(40)).isEqualTo(f.body().length - 44).isEven();
      pcm.put(f.body(), 44, f.body().length - 44);
    }
    assertThat(pcm.array()).isEqualTo(Arrays.copyOfRange(audio, 44, audio.length));
    assertThat(requests.get(0).parts()).doesNotContainKey("prompt");
    assertThat(requests.get(1).parts().get("prompt").text()).isEqualTo("part 1");
    assertThat(requests.get(2).parts().get("prompt").text()).isEqualTo("part 2");
    assertThat(transcript(id)).isEqualTo("part 1 part 2 part 3");
    assertThat(job(id).getTranscriptParts()).isEqualTo(3);
  }

  @Test
  void tenantWithoutTranscriptionGetsItsRecordingStoredOnly() throws IOException {
    RecordingConfig config = Fixtures.config(openai.url());
    long tenant = Fixtures.tenant(db.dsl(), "quiet", false);
    Path file = Fixtures.recording(recordings, tenant, UUID.randomUUID(), Fixtures.wav(800));
    UUID id = Fixtures.call(db.dsl(), tenant, callTime, file);
    jobs.enqueue(id, tenant, file.toString());

    Fixtures.drain(jobs, processor(config, new LocalStorage(Optional.empty())), config);

    assertThat(job(id).getState()).isEqualTo("done");
    assertThat(job(id).getTranscription()).isEqualTo("skipped");
    assertThat(transcript(id)).isNull();
    assertThat(openai.requests()).isEmpty();
  }

  @Test
  void missingEmptyOrForeignFilesFailAtOnceWithAClearReason() throws IOException {
    RecordingConfig config = Fixtures.config(openai.url());
    long tenant = Fixtures.tenant(db.dsl(), "acme", true);
    UUID missing = Fixtures.call(db.dsl(), tenant, callTime, null);
    jobs.enqueue(missing, tenant, recordings.resolve("1/nothing.wav").toString());
    UUID empty = Fixtures.call(db.dsl(), tenant, callTime, null);
    Path emptyFile = Fixtures.recording(recordings, tenant, empty, new byte[0]);
    jobs.enqueue(empty, tenant, emptyFile.toString());
    UUID foreign = Fixtures.call(db.dsl(), tenant, callTime, null);
    jobs.enqueue(foreign, tenant, recordings.resolve("../../etc/passwd").toString());
    RecordingProcessor processor = processor(config, new LocalStorage(Optional.empty()));

    assertThat(Fixtures.drain(jobs, processor, config)).isEqualTo(3);

    assertThat(job(missing).getState()).isEqualTo("failed");
    assertThat(job(missing).getAttempts()).isEqualTo(1);
    assertThat(job(missing).getLastError()).isEqualTo("recording file " + recordings.resolve("1/nothing.wav")
        + " does not exist");
    assertThat(job(empty).getState()).isEqualTo("failed");
    assertThat(job(empty).getLastError()).contains("is empty (0 bytes)");
    assertThat(job(foreign).getState()).isEqualTo("failed");
    assertThat(job(foreign).getLastError()).contains("is outside recordings.dir");
    // not retried: nothing is due any more
    assertThat(Fixtures.drain(jobs, processor, config)).isZero();
    assertThat(openai.requests()).isEmpty();
  }

  @Test
  void failedAttemptsBackOffThenFailThenRetryFinishesFromTheStepReached() throws Exception {
    // a backoff long enough that "not due yet" holds on a busy machine (50 ms did not, under the full suite)
    RecordingConfig config = Fixtures.config(openai.url(), "recordings.retry-base", "1s", "recordings.retry-max", "1s");
    openai.answer(r -> new FakeOpenAi.Answer(503, "{\"error\":{\"message\":\"overloaded\"}}"));
    long tenant = Fixtures.tenant(db.dsl(), "acme", true);
    Path file = Fixtures.recording(recordings, tenant, UUID.randomUUID(), Fixtures.wav(800));
    UUID id = Fixtures.call(db.dsl(), tenant, callTime, file);
    jobs.enqueue(id, tenant, file.toString());
    RecordingProcessor processor = processor(config, new LocalStorage(Optional.empty()));

    assertThat(Fixtures.drain(jobs, processor, config)).isEqualTo(1);
    RecordingJobRecord first = job(id);
    assertThat(first.getState()).isEqualTo("pending");
    assertThat(first.getStep()).isEqualTo("transcribe");
    assertThat(first.getLastError()).isEqualTo("transcription of " + id + ".wav failed: HTTP 503: overloaded");
    assertThat(first.getRunAfter()).isAfter(first.getUpdatedAt());
    // not due before its backoff
    assertThat(Fixtures.drain(jobs, processor, config)).isZero();

    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!job(id).getState().equals("failed") && System.nanoTime() < deadline) {
      Fixtures.drain(jobs, processor, config);
      Thread.sleep(20);
    }
    RecordingJobRecord failed = job(id);
    assertThat(failed.getState()).isEqualTo("failed");
    assertThat(failed.getAttempts()).isEqualTo(3);
    assertThat(failed.getFinishedAt()).isNotNull();
    assertThat(openai.requests()).hasSize(3);

    openai.answer(r -> FakeOpenAi.Answer.text("finally"));
    assertThat(jobs.retryFailed(null)).isEqualTo(1);
    assertThat(Fixtures.drain(jobs, processor, config)).isEqualTo(1);
    assertThat(job(id).getState()).isEqualTo("done");
    assertThat(job(id).getCapturedAt()).isEqualTo(first.getCapturedAt());
    assertThat(transcript(id)).isEqualTo("finally");
    assertThat(jobs.retryFailed(null)).isZero();
  }

  @Test
  void theApiKeyNeverReachesTheJobsError() throws IOException {
    RecordingConfig config = Fixtures.config(openai.url());
    // the real service echoes part of a wrong key in its message; this fake echoes all of it
    openai.answer(r -> new FakeOpenAi.Answer(401, "{\"error\":{\"message\":\"Incorrect API key provided: "
        + FakeOpenAi.API_KEY + "\"}}"));
    long tenant = Fixtures.tenant(db.dsl(), "acme", true);
    Path file = Fixtures.recording(recordings, tenant, UUID.randomUUID(), Fixtures.wav(800));
    UUID id = Fixtures.call(db.dsl(), tenant, callTime, file);
    jobs.enqueue(id, tenant, file.toString());

    Fixtures.drain(jobs, processor(config, new LocalStorage(Optional.empty())), config);

    assertThat(job(id).getLastError()).contains("HTTP 401").doesNotContain(FakeOpenAi.API_KEY)
        .doesNotContain("0123456789abcdef");
  }

  @Test
  void storageDirReceivesTheFileUnderItsDatedNameAndAMoveCutShortIsRepaired() throws IOException {
    Path storageDir = recordings.resolveSibling(recordings.getFileName() + "-kept");
    RecordingConfig config = Fixtures.config(openai.url());
    long tenant = Fixtures.tenant(db.dsl(), "quiet", false);
    UUID callId = UUID.randomUUID();
    byte[] audio = Fixtures.wav(800);
    Path file = Fixtures.recording(recordings, tenant, callId, audio);
    UUID id = Fixtures.call(db.dsl(), tenant, callTime, file);
    jobs.enqueue(id, tenant, file.toString());
    LocalStorage storage = new LocalStorage(Optional.of(storageDir));

    Fixtures.drain(jobs, processor(config, storage), config);

    Path kept = storageDir.resolve(tenant + "/2025/03/07/" + id + ".wav");
    assertThat(job(id).getStorageKey()).isEqualTo(kept.toString());
    assertThat(kept).hasBinaryContent(audio);
    assertThat(file).doesNotExist();
    // a worker that moved the file and died before recording it: the step, run again, finds it in place
    assertThat(storage.store(file, audio.length, tenant, id, callTime)).isEqualTo(StoredObject.local(kept.toString()));
    assertThatThrownBy(() -> storage.store(file, audio.length + 2, tenant, id, callTime))
        .isInstanceOf(RecordingFailure.class).hasMessageContaining("is gone");
  }

  @Test
  void aFileStillBeingWrittenIsCapturedOnceItStopsGrowing() throws Exception {
    RecordingConfig config = Fixtures.config(openai.url());
    long tenant = Fixtures.tenant(db.dsl(), "quiet", false);
    UUID callId = UUID.randomUUID();
    Path file = recordings.resolve(tenant + "/" + callId + ".wav");
    Files.createDirectories(file.getParent());
    Files.write(file, Fixtures.wav(400));
    UUID id = Fixtures.call(db.dsl(), tenant, callTime, file);
    jobs.enqueue(id, tenant, file.toString());
    Thread writer = new Thread(() -> {
      try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.APPEND)) {
        for (int i = 0; i < 8; i++) {
          Thread.sleep(40);
          out.write(new byte[800]);
          out.flush();
        }
      } catch (IOException | InterruptedException e) {
        throw new IllegalStateException(e);
      }
    }, "mixmonitor");
    writer.start();

    Fixtures.drain(jobs, processor(config, new LocalStorage(Optional.empty())), config);
    writer.join();

    assertThat(job(id).getCapturedBytes()).isEqualTo(Files.size(file)).isEqualTo(844 + 8 * 800);
  }

  @Test
  void enqueueingTwiceMakesOneJobAndTheSweepCatchesCallsCallEndMissed() {
    long tenant = Fixtures.tenant(db.dsl(), "acme", true);
    UUID id = Fixtures.call(db.dsl(), tenant, callTime, recordings.resolve("a.wav"));
    RecordingQueue queue = new RecordingQueue(jobs, () -> { });
    queue.ended(id, tenant, recordings.resolve("a.wav").toString());
    queue.ended(id, tenant, recordings.resolve("a.wav").toString());
    queue.ended(id, tenant, null);
    queue.ended(UUID.randomUUID(), tenant, "/no/such/call.wav"); // logged, never thrown into call-end
    assertThat(db.dsl().fetchCount(RECORDING_JOB)).isEqualTo(1);

    UUID missed = Fixtures.call(db.dsl(), tenant, OffsetDateTime.now().minusMinutes(10), recordings.resolve("b.wav"));
    UUID justEnded = Fixtures.call(db.dsl(), tenant, OffsetDateTime.now().minusSeconds(70), recordings.resolve("c.wav"));
    UUID notRecorded = Fixtures.call(db.dsl(), tenant, OffsetDateTime.now().minusMinutes(10), null);
    assertThat(jobs.sweep(Duration.ofMinutes(2), Duration.ofDays(7))).isEqualTo(1);
    assertThat(jobs.findByCall(missed)).get().extracting(RecordingJobs.Job::sourceFile)
        .isEqualTo(recordings.resolve("b.wav").toString());
    assertThat(jobs.findByCall(justEnded)).isEmpty();
    assertThat(jobs.findByCall(notRecorded)).isEmpty();
    assertThat(jobs.sweep(Duration.ofMinutes(2), Duration.ofDays(7))).isZero();
  }

  @Test
  void aWorkerWhoseLeaseRanOutCanNoLongerWriteToTheJob() {
    long tenant = Fixtures.tenant(db.dsl(), "acme", true);
    UUID id = Fixtures.call(db.dsl(), tenant, callTime, null);
    jobs.enqueue(id, tenant, recordings.resolve("x.wav").toString());
    RecordingJobs.Job stalled = jobs.claim("a", Duration.ofSeconds(30)).orElseThrow();
    assertThat(jobs.claim("b", Duration.ofSeconds(5))).isEmpty();
    db.dsl().update(RECORDING_JOB).set(RECORDING_JOB.LEASE_UNTIL, OffsetDateTime.now().minusNanos(1000))
        .where(RECORDING_JOB.CALL_ID.eq(id)).execute();
    RecordingJobs.Job taken = jobs.claim("b", Duration.ofSeconds(5)).orElseThrow();
    assertThat(taken.id()).isEqualTo(stalled.id());
    assertThat(taken.attempts()).isEqualTo(2);

    assertThatThrownBy(() -> jobs.captured(stalled, 10, Duration.ofSeconds(5)))
        .isInstanceOf(RecordingJobs.LeaseLostException.class);
    jobs.captured(taken, 10, Duration.ofSeconds(5));
    assertThat(job(id).getStep()).isEqualTo("store");
    assertThat(job(id).getLeaseOwner()).isEqualTo("b");
  }

  @Test
  void jobsByStateAreAGaugeOnTheMeterRegistry() {
    io.micrometer.core.instrument.simple.SimpleMeterRegistry registry =
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    RecordingMetrics.bind(registry, jobs);
    long tenant = Fixtures.tenant(db.dsl(), "acme", true);
    for (int i = 0; i < 3; i++) {
      jobs.enqueue(Fixtures.call(db.dsl(), tenant, callTime, null), tenant, "/r/" + i + ".wav");
    }
    System.gc();
    assertThat(registry.get("asterline.recording.jobs").tag("state", "pending").gauge().value()).isEqualTo(3.0);
    assertThat(registry.get("asterline.recording.jobs").tag("state", "failed").gauge().value()).isZero();
  }

  @Test
  void theDefaultsAreValidAndABadValueIsNamed() {
    RecordingConfig defaults = RecordingConfig.from(io.asterline.config.Settings.of(java.util.Map.of(),
        java.util.Map.of(), java.util.Map.of()));
    assertThat(defaults.transcriptionUrl().toString()).isEqualTo("https://api.openai.com/v1");
    assertThat(defaults.transcriptionMaxBytes()).isEqualTo(25_000_000L);
    assertThatThrownBy(() -> Fixtures.config(openai.url(), "recordings.lease", "1s"))
        .hasMessageContaining("recordings.settle-timeout").hasMessageContaining("shorter than recordings.lease (1s)");
    assertThatThrownBy(() -> Fixtures.config(openai.url(), "transcription.max-upload-bytes", "30000000"))
        .hasMessageStartingWith("transcription.max-upload-bytes (option -Dtranscription.max-upload-bytes)");
  }

  @Test
  void backoffDoublesUpToItsMaximum() {
    RecordingConfig config = Fixtures.config(openai.url(), "recordings.retry-base", "10s", "recordings.retry-max", "1m");
    assertThat(config.backoff(1)).isEqualTo(Duration.ofSeconds(10));
    assertThat(config.backoff(2)).isEqualTo(Duration.ofSeconds(20));
    assertThat(config.backoff(3)).isEqualTo(Duration.ofSeconds(40));
    assertThat(config.backoff(4)).isEqualTo(Duration.ofMinutes(1));
    assertThat(config.backoff(60)).isEqualTo(Duration.ofMinutes(1));
  }
}
