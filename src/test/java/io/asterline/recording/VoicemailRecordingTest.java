package io.asterline.recording;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.RECORDING_JOB;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.call.CallQueries;
import io.asterline.call.CallRoutes;
import io.asterline.db.TestDatabase;
import io.asterline.db.generated.tables.records.CallRecord;
import io.asterline.http.HttpServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
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
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A voicemail goes through the recording jobs like a recording, beside the call's own: stored under
 * {@code <call id>-voicemail.wav} (local or S3), transcribed into the call's voicemail transcript, shown and
 * handed out by the API; the sweep queues one whose job was never added.
 */
class VoicemailRecordingTest {

  private static final String BUCKET = "asterline-voicemail";

  @TempDir
  Path recordings;
  @TempDir
  Path storageDir;

  private TestDatabase.Db db;
  private FakeOpenAi openai;
  private RecordingJobs jobs;
  private RecordingConfig config;
  private final OffsetDateTime callTime = OffsetDateTime.of(2025, 3, 7, 23, 30, 0, 0, ZoneOffset.ofHours(-5));
  private final HttpClient client = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();

  @BeforeEach
  void setUp() throws Exception {
    db = TestDatabase.fresh(4);
    openai = new FakeOpenAi();
    jobs = new RecordingJobs(db.dsl());
    config = Fixtures.config(openai.url());
  }

  @AfterEach
  void tearDown() {
    openai.close();
    db.close();
  }

  /** A voicemail as Record() leaves it and voicemail-done stores it on the call. */
  private Path voicemail(long tenant, UUID callId, byte[] audio, OffsetDateTime at) throws Exception {
    Path file = RecordingKind.VOICEMAIL.file(recordings, tenant, callId);
    Files.createDirectories(file.getParent());
    Files.write(file, audio);
    Files.setLastModifiedTime(file, FileTime.from(Instant.now().minusSeconds(30)));
    db.dsl().update(CALL).set(CALL.VOICEMAIL_FILE, file.toString()).set(CALL.VOICEMAIL_DURATION_MS, 2500)
        .set(CALL.VOICEMAIL_AT, at).where(CALL.ID.eq(callId)).execute();
    return file;
  }

  @Test
  void aCallsRecordingAndItsVoicemailAreStoredSideBySideInS3AndTranscribedApart() throws Exception {
    try (LocalS3Server s3Server = new LocalS3Server();
        S3Client s3 = S3Client.builder().region(Region.US_EAST_1).endpointOverride(s3Server.endpoint())
            .forcePathStyle(true)
            .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
            .httpClientBuilder(UrlConnectionHttpClient.builder()).build();
        S3Storage storage = new S3Storage(new StorageConfig.S3(BUCKET, "us-east-1", Optional.of("test"),
            Optional.of("test"), Optional.of(s3Server.endpoint())))) {
      s3.createBucket(b -> b.bucket(BUCKET));
      long tenant = Fixtures.tenant(db.dsl(), "acme", true);
      UUID id = Fixtures.call(db.dsl(), tenant, callTime, null);
      byte[] talk = Fixtures.wav(4000);
      Path recording = RecordingKind.CALL.file(recordings, tenant, id);
      Files.createDirectories(recording.getParent());
      Files.write(recording, talk);
      Files.setLastModifiedTime(recording, FileTime.from(Instant.now().minusSeconds(30)));
      byte[] message = Fixtures.wav(2000);
      Path vm = voicemail(tenant, id, message, callTime.plusSeconds(50));

      RecordingQueue queue = new RecordingQueue(jobs, () -> { });
      queue.ended(id, tenant, recording.toString());
      queue.voicemailLeft(id, tenant, vm.toString());
      queue.voicemailLeft(id, tenant, vm.toString());
      assertThat(db.dsl().fetchCount(RECORDING_JOB, RECORDING_JOB.CALL_ID.eq(id))).isEqualTo(2);

      assertThat(Fixtures.drain(jobs, Fixtures.processor(config, recordings, jobs, storage, Fixtures.transcriber(config)),
          config)).isEqualTo(2);

      // dated by the call's start in UTC: 2025-03-08 04:30
      String prefix = tenant + "/2025/03/08/" + id;
      assertThat(s3.listObjectsV2(b -> b.bucket(BUCKET)).contents()).extracting(S3Object::key)
          .containsExactlyInAnyOrder(prefix + ".wav", prefix + "-voicemail.wav");
      assertThat(s3.getObject(b -> b.bucket(BUCKET).key(prefix + "-voicemail.wav"), ResponseTransformer.toBytes())
          .asByteArray()).isEqualTo(message);
      RecordingJobs.Job job = jobs.findByCall(id, RecordingKind.VOICEMAIL).orElseThrow();
      assertThat(job.state()).isEqualTo("done");
      assertThat(job.storageKey()).isEqualTo(prefix + "-voicemail.wav");
      assertThat(jobs.findByCall(id).orElseThrow().storageKey()).isEqualTo(prefix + ".wav");
      CallRecord call = db.dsl().selectFrom(CALL).where(CALL.ID.eq(id)).fetchOne();
      assertThat(call.getTranscript()).isEqualTo("hello from " + id + ".wav");
      assertThat(call.getVoicemailTranscript()).isEqualTo("hello from " + id + "-voicemail.wav");
      assertThat(call.getVoicemailTranscribedAt()).isNotNull();
      // the uploaded local copies are gone
      assertThat(vm).doesNotExist();
      assertThat(recording).doesNotExist();
    }
  }

  @Test
  void theApiShowsTheVoicemailAndHandsItOutOnceStored() throws Exception {
    LocalStorage storage = new LocalStorage(Optional.of(storageDir));
    long acme = Fixtures.tenant(db.dsl(), "acme", true);
    Fixtures.tenant(db.dsl(), "other", true);
    UUID id = Fixtures.call(db.dsl(), acme, callTime, null);
    UUID quiet = Fixtures.call(db.dsl(), acme, callTime, null);
    byte[] message = Fixtures.wav(3000);
    Path vm = voicemail(acme, id, message, callTime.plusSeconds(40));
    new RecordingQueue(jobs, () -> { }).voicemailLeft(id, acme, vm.toString());
    String token = Fixtures.token("acme");
    try (HttpServer http = api(storage)) {
      JsonNode before = body(get(http, "/api/calls/" + id, token));
      assertThat(before.path("voicemail").path("file").asText()).isEqualTo(vm.toString());
      assertThat(before.path("voicemail").path("duration_ms").asInt()).isEqualTo(2500);
      assertThat(before.path("voicemail").path("state").asText()).isEqualTo("pending");
      assertThat(before.path("voicemail").path("stored").asBoolean()).isFalse();
      assertThat(before.path("voicemail").path("transcript").isNull()).isTrue();
      HttpResponse<byte[]> early = get(http, "/api/calls/" + id + "/voicemail", token);
      assertThat(early.statusCode()).isEqualTo(404);
      assertThat(body(early).path("error").asText()).contains("not stored yet");
      assertThat(body(get(http, "/api/calls/" + quiet, token)).path("voicemail").isNull()).isTrue();
      assertThat(body(get(http, "/api/calls/" + quiet + "/voicemail", token)).path("error").asText())
          .contains("has no voicemail");

      Fixtures.drain(jobs, Fixtures.processor(config, recordings, jobs, storage, Fixtures.transcriber(config)), config);

      JsonNode after = body(get(http, "/api/calls/" + id, token)).path("voicemail");
      Path kept = storageDir.resolve(acme + "/2025/03/08/" + id + "-voicemail.wav");
      assertThat(after.path("state").asText()).isEqualTo("done");
      assertThat(after.path("stored").asBoolean()).isTrue();
      assertThat(after.path("storage_key").asText()).isEqualTo(kept.toString());
      assertThat(after.path("url").asText()).isEqualTo("/api/calls/" + id + "/voicemail");
      assertThat(after.path("transcript").asText()).isEqualTo("hello from " + id + "-voicemail.wav");
      HttpResponse<byte[]> wav = get(http, "/api/calls/" + id + "/voicemail", token);
      assertThat(wav.statusCode()).isEqualTo(200);
      assertThat(wav.headers().firstValue("Content-Type")).hasValue("audio/wav");
      assertThat(wav.headers().firstValue("Content-Disposition")).hasValue("inline; filename=\"" + id + "-voicemail.wav\"");
      assertThat(wav.body()).isEqualTo(message);
      // the call had no recording of its own: that endpoint still says so
      assertThat(get(http, "/api/calls/" + id + "/recording", token).statusCode()).isEqualTo(404);
      // another tenant learns nothing
      assertThat(get(http, "/api/calls/" + id + "/voicemail", Fixtures.token("other")).statusCode()).isEqualTo(404);
      assertThat(get(http, "/api/calls/" + id, Fixtures.token("other")).statusCode()).isEqualTo(404);
    }
  }

  @Test
  void theSweepQueuesAStoredVoicemailWhoseJobWasNeverAdded() throws Exception {
    long tenant = Fixtures.tenant(db.dsl(), "acme", false);
    OffsetDateTime now = OffsetDateTime.now();
    UUID missed = Fixtures.call(db.dsl(), tenant, now.minusMinutes(10), null);
    UUID justNow = Fixtures.call(db.dsl(), tenant, now.minusMinutes(1), null);
    Path file = voicemail(tenant, missed, Fixtures.wav(1000), now.minusMinutes(9));
    voicemail(tenant, justNow, Fixtures.wav(1000), now);

    assertThat(jobs.sweep(Duration.ofMinutes(2), Duration.ofDays(7))).isEqualTo(1);
    RecordingJobs.Job job = jobs.findByCall(missed, RecordingKind.VOICEMAIL).orElseThrow();
    assertThat(job.sourceFile()).isEqualTo(file.toString());
    assertThat(jobs.findByCall(missed)).as("no recording job for a call without a recording").isEmpty();
    assertThat(jobs.findByCall(justNow, RecordingKind.VOICEMAIL)).as("voicemail-done's own enqueue has its chance")
        .isEmpty();
    assertThat(jobs.sweep(Duration.ofMinutes(2), Duration.ofDays(7))).isZero();

    // the tenant has transcription off: stored, not transcribed
    Fixtures.drain(jobs, Fixtures.processor(config, recordings, jobs, new LocalStorage(Optional.empty()),
        Fixtures.transcriber(config)), config);
    RecordingJobs.Job done = jobs.findByCall(missed, RecordingKind.VOICEMAIL).orElseThrow();
    assertThat(done.state()).isEqualTo("done");
    assertThat(done.transcription()).isEqualTo("skipped");
    assertThat(db.dsl().fetchValue(CALL.VOICEMAIL_TRANSCRIPT, CALL.ID.eq(missed))).isNull();
  }

  private HttpServer api(RecordingStorage storage) {
    io.asterline.tenant.TenantRepository tenants = new io.asterline.tenant.TenantRepository(db.dsl());
    CallRoutes calls = new CallRoutes(new CallQueries(db.dsl()));
    return new HttpServer(new io.asterline.http.HttpConfig(java.net.InetAddress.getLoopbackAddress(), 0,
            Optional.empty(), Optional.of(Fixtures.ADMIN_TOKEN)), io.asterline.config.Json.mapper())
        .auth(new io.asterline.http.Auth(Optional.of(Fixtures.ADMIN_TOKEN), tenants::activeTenantByTokenHash))
        .routes(new RecordingRoutes(jobs, storage, () -> { }, new RecordingTickets(db.dsl())))
        .routes(calls::register)
        .start();
  }

  private HttpResponse<byte[]> get(HttpServer http, String path, String token) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + path))
        .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private JsonNode body(HttpResponse<byte[]> r) throws Exception {
    return json.readTree(r.body());
  }
}
