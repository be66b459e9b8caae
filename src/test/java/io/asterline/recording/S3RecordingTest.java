package io.asterline.recording;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.RECORDING_JOB;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.db.TestDatabase;
import io.asterline.http.HttpServer;
import java.net.URI;
import io.asterline.db.generated.tables.records.RecordingJobRecord;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The S3 path against a local S3-compatible server, and workers killed mid-job: whatever point a worker
 * dies at, the next one finishes the job with exactly one stored object and one transcript.
 */
class S3RecordingTest {

  /** What a worker's death looks like to the job: nothing after this point is written anywhere. */
  static final class Killed extends Error {
    Killed(String where) {
      super("worker killed " + where);
    }
  }

  private static final String BUCKET = "call-recordings";

  @TempDir
  Path recordings;

  private TestDatabase.Db db;
  private FakeOpenAi openai;
  private LocalS3Server s3Server;
  private S3Client s3;
  private S3Storage storage;
  private RecordingJobs jobs;
  private final OffsetDateTime callTime = OffsetDateTime.of(2025, 3, 7, 23, 30, 0, 0, ZoneOffset.ofHours(-5));

  @BeforeEach
  void setUp() throws Exception {
    db = TestDatabase.fresh(4);
    openai = new FakeOpenAi();
    s3Server = new LocalS3Server();
    s3 = S3Client.builder()
        .region(Region.US_EAST_1)
        .endpointOverride(s3Server.endpoint())
        .forcePathStyle(true)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
        .httpClientBuilder(UrlConnectionHttpClient.builder())
        .build();
    s3.createBucket(b -> b.bucket(BUCKET));
    storage = new S3Storage(new StorageConfig.S3(BUCKET, "us-east-1", Optional.of("test"), Optional.of("test"),
        Optional.of(s3Server.endpoint())));
    jobs = new RecordingJobs(db.dsl());
  }

  @AfterEach
  void tearDown() {
    storage.close();
    s3.close();
    s3Server.close();
    openai.close();
    db.close();
  }

  private List<S3Object> objects() {
    return s3.listObjectsV2(b -> b.bucket(BUCKET)).contents();
  }

  private byte[] object(String key) {
    return s3.getObject(b -> b.bucket(BUCKET).key(key), ResponseTransformer.toBytes()).asByteArray();
  }

  private RecordingJobRecord job(UUID callId) {
    return db.dsl().selectFrom(RECORDING_JOB).where(RECORDING_JOB.CALL_ID.eq(callId)).fetchOne();
  }

  private String transcript(UUID callId) {
    return db.dsl().select(CALL.TRANSCRIPT).from(CALL).where(CALL.ID.eq(callId)).fetchOne(CALL.TRANSCRIPT);
  }

  /** The dead worker's lease ends (as it would after recordings.lease) without the test waiting for it. */
  private void leaseRunsOut(UUID callId) {
    db.dsl().update(RECORDING_JOB)
        .set(RECORDING_JOB.LEASE_UNTIL, OffsetDateTime.now().minusSeconds(1))
        .where(RECORDING_JOB.CALL_ID.eq(callId))
        .execute();
  }

  @Test
  void storesUnderTheDatedKeyRemovesTheLocalCopyAndPresignsALink() throws Exception {
    RecordingConfig config = Fixtures.config(openai.url());
    long tenant = Fixtures.tenant(db.dsl(), "acme", true);
    UUID id = UUID.randomUUID();
    byte[] audio = Fixtures.wav(4000);
    Path file = Fixtures.recording(recordings, tenant, id, audio);
    Fixtures.call(db.dsl(), tenant, callTime, file);
    db.dsl().update(CALL).set(CALL.ID, id).where(CALL.RECORDING_FILE.eq(file.toString())).execute();
    jobs.enqueue(id, tenant, file.toString());

    Fixtures.drain(jobs, Fixtures.processor(config, recordings, jobs, storage, Fixtures.transcriber(config)), config);

    // 23:30 at -05:00 is 04:30 the next day in UTC
    String key = tenant + "/2025/03/08/" + id + ".wav";
    assertThat(objects()).extracting(S3Object::key).containsExactly(key);
    assertThat(object(key)).isEqualTo(audio);
    GetObjectResponse head = s3.getObject(b -> b.bucket(BUCKET).key(key), ResponseTransformer.toBytes()).response();
    assertThat(head.contentType()).isEqualTo("audio/wav");
    RecordingJobRecord job = job(id);
    assertThat(job.getState()).isEqualTo("done");
    assertThat(job.getStorage()).isEqualTo("s3");
    assertThat(job.getStorageBucket()).isEqualTo(BUCKET);
    assertThat(job.getStorageKey()).isEqualTo(key);
    assertThat(transcript(id)).isEqualTo("hello from " + id + ".wav");
    assertThat(openai.requests().get(0).parts().get("file").body()).isEqualTo(audio);
    assertThat(file).doesNotExist();

    HttpClient client = HttpClient.newHttpClient();
    JsonNode link;
    try (HttpServer api = Fixtures.api(db.dsl(), jobs, storage)) {
      HttpResponse<String> r = client.send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + api.port() + "/api/calls/" + id + "/recording"))
          .header("Authorization", "Bearer " + Fixtures.token("acme")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      link = new ObjectMapper().readTree(r.body());
    }
    assertThat(link.get("url").asText()).startsWith(s3Server.endpoint() + "/" + BUCKET + "/" + key + "?")
        .contains("X-Amz-Signature=").contains("X-Amz-Expires=900");
    assertThat(OffsetDateTime.parse(link.get("expiresAt").asText())).isAfter(OffsetDateTime.now().plusMinutes(14));
    HttpResponse<byte[]> fetched = client
        .send(HttpRequest.newBuilder(URI.create(link.get("url").asText())).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(fetched.statusCode()).isEqualTo(200);
    assertThat(fetched.body()).isEqualTo(audio);
  }

  @Test
  void aWorkerKilledBetweenUploadAndTranscriptionIsFinishedByTheNextWithOneObjectAndOneTranscript()
      throws Exception {
    RecordingConfig config = Fixtures.config(openai.url());
    long tenant = Fixtures.tenant(db.dsl(), "acme", true);
    UUID id = UUID.randomUUID();
    byte[] audio = Fixtures.wav(4000);
    Path file = Fixtures.recording(recordings, tenant, id, audio);
    Fixtures.call(db.dsl(), tenant, callTime, file);
    db.dsl().update(CALL).set(CALL.ID, id).where(CALL.RECORDING_FILE.eq(file.toString())).execute();
    jobs.enqueue(id, tenant, file.toString());
    Transcriber dies = (audioFile, name, language, beforeUpload) -> {
      throw new Killed("between upload and transcription");
    };

    assertThatThrownBy(() -> Fixtures.drain(jobs,
        Fixtures.processor(config, recordings, jobs, storage, dies), config)).isInstanceOf(Killed.class);
    assertThat(job(id).getState()).isEqualTo("running");
    assertThat(job(id).getStep()).isEqualTo("transcribe");
    assertThat(objects()).hasSize(1);

    // restarted: the job is free again once the dead worker's lease has run out
    RecordingProcessor restarted = Fixtures.processor(config, recordings, jobs, storage, Fixtures.transcriber(config));
    assertThat(Fixtures.drain(jobs, restarted, config)).isZero();
    leaseRunsOut(id);
    assertThat(Fixtures.drain(jobs, restarted, config)).isEqualTo(1);

    RecordingJobRecord job = job(id);
    assertThat(job.getState()).isEqualTo("done");
    assertThat(job.getAttempts()).isEqualTo(2);
    assertThat(objects()).extracting(S3Object::key).containsExactly(tenant + "/2025/03/08/" + id + ".wav");
    assertThat(object(job.getStorageKey())).isEqualTo(audio);
    assertThat(openai.requests()).hasSize(1);
    assertThat(transcript(id)).isEqualTo("hello from " + id + ".wav");
    assertThat(db.dsl().fetchCount(CALL, CALL.TRANSCRIPT.isNotNull())).isEqualTo(1);
  }

  @Test
  void aWorkerKilledAfterUploadingButBeforeRecordingItReplacesTheSameObject() throws Exception {
    RecordingConfig config = Fixtures.config(openai.url());
    long tenant = Fixtures.tenant(db.dsl(), "acme", true);
    UUID id = UUID.randomUUID();
    byte[] audio = Fixtures.wav(4000);
    Path file = Fixtures.recording(recordings, tenant, id, audio);
    Fixtures.call(db.dsl(), tenant, callTime, file);
    db.dsl().update(CALL).set(CALL.ID, id).where(CALL.RECORDING_FILE.eq(file.toString())).execute();
    jobs.enqueue(id, tenant, file.toString());
    RecordingStorage diesAfterUpload = new RecordingStorage() {
      @Override
      public StoredObject store(Path source, long bytes, RecordingKind kind, long tenantId, UUID callId,
          OffsetDateTime createdAt) throws IOException {
        storage.store(source, bytes, kind, tenantId, callId, createdAt);
        throw new Killed("after the upload, before recording it");
      }

      @Override
      public Audio audio(StoredObject stored, Path source, long bytes) throws IOException {
        return storage.audio(stored, source, bytes);
      }

      @Override
      public void cleanup(StoredObject stored, Path source) throws IOException {
        storage.cleanup(stored, source);
      }

      @Override
      public Download download(StoredObject stored) {
        return storage.download(stored);
      }

      @Override
      public void close() {
      }
    };

    assertThatThrownBy(() -> Fixtures.drain(jobs,
        Fixtures.processor(config, recordings, jobs, diesAfterUpload, Fixtures.transcriber(config)), config))
        .isInstanceOf(Killed.class);
    assertThat(job(id).getStep()).isEqualTo("store");
    assertThat(objects()).hasSize(1);

    leaseRunsOut(id);
    Fixtures.drain(jobs, Fixtures.processor(config, recordings, jobs, storage, Fixtures.transcriber(config)), config);

    assertThat(job(id).getState()).isEqualTo("done");
    assertThat(objects()).hasSize(1);
    assertThat(object(job(id).getStorageKey())).isEqualTo(audio);
    assertThat(openai.requests()).hasSize(1);
    assertThat(Files.exists(file)).isFalse();
  }
}
