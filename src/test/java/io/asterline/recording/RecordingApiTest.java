package io.asterline.recording;

import static io.asterline.db.generated.Tables.RECORDING_JOB;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.Main;
import io.asterline.db.TestDatabase;
import io.asterline.http.HttpServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The recording API over a real HTTP server, tenant-scoped, and the admin's ways to requeue failed jobs. */
class RecordingApiTest {

  @TempDir
  Path recordings;

  private TestDatabase.Db db;
  private FakeOpenAi openai;
  private RecordingJobs jobs;
  private HttpServer http;
  private final HttpClient client = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();

  @BeforeEach
  void setUp() throws Exception {
    db = TestDatabase.fresh(4);
    openai = new FakeOpenAi();
    jobs = new RecordingJobs(db.dsl());
    http = Fixtures.api(db.dsl(), jobs, new LocalStorage(Optional.empty()));
  }

  @AfterEach
  void tearDown() {
    http.close();
    openai.close();
    db.close();
  }

  private HttpResponse<byte[]> send(String method, String path, String token, Map<String, String> headers)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + path))
        .method(method, HttpRequest.BodyPublishers.noBody())
        .header("Authorization", "Bearer " + token);
    headers.forEach(b::header);
    return client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private HttpResponse<byte[]> get(String path, String token) throws Exception {
    return send("GET", path, token, Map.of());
  }

  private JsonNode body(HttpResponse<byte[]> r) throws Exception {
    return json.readTree(r.body());
  }

  @Test
  void aTenantGetsItsOwnRecordingAndTranscriptAndNothingOfAnotherTenants() throws Exception {
    RecordingConfig config = Fixtures.config(openai.url());
    long acme = Fixtures.tenant(db.dsl(), "acme", true);
    long other = Fixtures.tenant(db.dsl(), "other", true);
    UUID file = UUID.randomUUID();
    byte[] audio = Fixtures.wav(1000);
    Path path = Fixtures.recording(recordings, acme, file, audio);
    UUID id = Fixtures.call(db.dsl(), acme, OffsetDateTime.now(), path);
    jobs.enqueue(id, acme, path.toString());
    String acmeToken = Fixtures.token("acme");

    HttpResponse<byte[]> early = get("/api/calls/" + id + "/transcript", acmeToken);
    assertThat(early.statusCode()).isEqualTo(404);
    assertThat(body(early).get("error").asText()).contains("not yet: its recording job is pending at step capture");
    assertThat(get("/api/calls/" + id + "/recording", acmeToken).statusCode()).isEqualTo(404);

    Fixtures.drain(jobs, Fixtures.processor(config, recordings, jobs, new LocalStorage(Optional.empty()),
        Fixtures.transcriber(config)), config);

    HttpResponse<byte[]> wav = get("/api/calls/" + id + "/recording", acmeToken);
    assertThat(wav.statusCode()).isEqualTo(200);
    assertThat(wav.headers().firstValue("Content-Type")).hasValue("audio/wav");
    assertThat(wav.body()).isEqualTo(audio);
    // players seek with ranges
    HttpResponse<byte[]> part = send("GET", "/api/calls/" + id + "/recording", acmeToken, Map.of("Range", "bytes=100-"));
    assertThat(part.statusCode()).isEqualTo(206);
    assertThat(part.headers().firstValue("Content-Range")).get().asString().startsWith("bytes 100-");
    assertThat(part.body()).isNotEmpty().isEqualTo(Arrays.copyOfRange(audio, 100, 100 + part.body().length));
    // ranges are exact: the end counts, suffixes are the last bytes, what lies past the end is 416
    HttpResponse<byte[]> first = send("GET", "/api/calls/" + id + "/recording", acmeToken, Map.of("Range", "bytes=0-99"));
    assertThat(first.statusCode()).isEqualTo(206);
    assertThat(first.headers().firstValue("Content-Range")).hasValue("bytes 0-99/" + audio.length);
    assertThat(first.body()).isEqualTo(Arrays.copyOfRange(audio, 0, 100));
    HttpResponse<byte[]> last = send("GET", "/api/calls/" + id + "/recording", acmeToken, Map.of("Range", "bytes=-100"));
    assertThat(last.statusCode()).isEqualTo(206);
    assertThat(last.headers().firstValue("Content-Range"))
        .hasValue("bytes " + (audio.length - 100) + "-" + (audio.length - 1) + "/" + audio.length);
    assertThat(last.body()).isEqualTo(Arrays.copyOfRange(audio, audio.length - 100, audio.length));
    HttpResponse<byte[]> past = send("GET", "/api/calls/" + id + "/recording", acmeToken,
        Map.of("Range", "bytes=" + audio.length + "-"));
    assertThat(past.statusCode()).isEqualTo(416);
    assertThat(past.headers().firstValue("Content-Range")).hasValue("bytes */" + audio.length);
    // the server's directories are not the tenant's business
    Files.deleteIfExists(path);
    java.nio.file.Path stored = java.nio.file.Path.of(db.dsl().fetchValue(
        "SELECT storage_key FROM recording_job WHERE call_id = '" + id + "'").toString());
    Files.deleteIfExists(stored);
    HttpResponse<byte[]> gone = get("/api/calls/" + id + "/recording", acmeToken);
    assertThat(gone.statusCode()).isEqualTo(404);
    assertThat(new String(gone.body(), java.nio.charset.StandardCharsets.UTF_8)).doesNotContain(recordings.toString())
        .doesNotContain(stored.getParent().toString());
    // restored for the checks below
    Files.write(stored, audio);

    HttpResponse<byte[]> text = get("/api/calls/" + id + "/transcript", acmeToken);
    assertThat(text.statusCode()).isEqualTo(200);
    assertThat(body(text).get("callId").asText()).isEqualTo(id.toString());
    assertThat(body(text).get("text").asText()).isEqualTo("hello from " + id + ".wav");
    assertThat(body(text).get("transcribedAt").asText()).isNotBlank();
    assertThat(get("/api/calls/" + id + "/transcript", Fixtures.ADMIN_TOKEN).statusCode()).isEqualTo(200);

    HttpResponse<byte[]> foreign = get("/api/calls/" + id + "/recording", Fixtures.token("other"));
    assertThat(foreign.statusCode()).isEqualTo(404);
    assertThat(body(foreign).get("error").asText()).isEqualTo("no call " + id);
    assertThat(get("/api/calls/" + id + "/transcript", Fixtures.token("other")).statusCode()).isEqualTo(404);
    assertThat(other).isNotEqualTo(acme);

    HttpResponse<byte[]> bad = get("/api/calls/not-a-call/transcript", acmeToken);
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(body(bad).get("field").asText()).isEqualTo("id");
    assertThat(get("/api/calls/" + id + "/recording", "wrong-token").statusCode()).isEqualTo(401);
  }

  @Test
  void theAdminSeesFailedJobsAndPutsThemBackThroughTheApiAndTheCommand() throws Exception {
    RecordingConfig config = Fixtures.config(openai.url());
    long acme = Fixtures.tenant(db.dsl(), "acme", true);
    UUID first = Fixtures.call(db.dsl(), acme, OffsetDateTime.now(), null);
    UUID second = Fixtures.call(db.dsl(), acme, OffsetDateTime.now(), null);
    jobs.enqueue(first, acme, recordings.resolve("gone-1.wav").toString());
    jobs.enqueue(second, acme, recordings.resolve("gone-2.wav").toString());
    RecordingProcessor processor = Fixtures.processor(config, recordings, jobs, new LocalStorage(Optional.empty()),
        Fixtures.transcriber(config));
    Fixtures.drain(jobs, processor, config);

    assertThat(get("/api/recordings/jobs?state=failed", Fixtures.token("acme")).statusCode()).isEqualTo(403);
    HttpResponse<byte[]> badState = get("/api/recordings/jobs?state=broken", Fixtures.ADMIN_TOKEN);
    assertThat(badState.statusCode()).isEqualTo(400);
    assertThat(body(badState).get("field").asText()).isEqualTo("state");
    JsonNode failed = body(get("/api/recordings/jobs?state=failed", Fixtures.ADMIN_TOKEN)).get("jobs");
    assertThat(failed).hasSize(2);
    assertThat(failed.get(0).get("lastError").asText()).endsWith("does not exist");

    assertThat(send("POST", "/api/recordings/retry", Fixtures.token("acme"), Map.of()).statusCode()).isEqualTo(403);
    HttpResponse<byte[]> one = send("POST", "/api/recordings/retry?callId=" + first, Fixtures.ADMIN_TOKEN, Map.of());
    assertThat(one.statusCode()).isEqualTo(200);
    assertThat(body(one).get("requeued").asInt()).isEqualTo(1);
    assertThat(jobs.findByCall(first).orElseThrow().state()).isEqualTo("pending");
    assertThat(jobs.findByCall(second).orElseThrow().state()).isEqualTo("failed");

    // the file turns up (a share mounted late, say): the requeued job now succeeds
    java.nio.file.Files.write(recordings.resolve("gone-1.wav"), Fixtures.wav(100));
    java.nio.file.Files.setLastModifiedTime(recordings.resolve("gone-1.wav"),
        java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 60_000));
    Fixtures.drain(jobs, processor, config);
    assertThat(jobs.findByCall(first).orElseThrow().state()).isEqualTo("done");

    StringWriter out = new StringWriter();
    CommandLine cli = Main.commandLine(Map.of());
    cli.setOut(new PrintWriter(out));
    int exit = cli.execute("recordings", "retry", "--failed", "-Ddatabase.url=" + db.jdbcUrl());
    assertThat(exit).isZero();
    assertThat(out.toString()).contains("requeued 1 failed recording job(s)");
    assertThat(db.dsl().fetchCount(RECORDING_JOB, RECORDING_JOB.STATE.eq("failed"))).isZero();

    StringWriter listed = new StringWriter();
    cli.setOut(new PrintWriter(listed));
    assertThat(cli.execute("recordings", "list", "--state", "pending", "-Ddatabase.url=" + db.jdbcUrl())).isZero();
    assertThat(listed.toString()).contains(second.toString()).contains("gone-2.wav does not exist")
        .doesNotContain(first.toString());
    StringWriter err = new StringWriter();
    cli.setErr(new PrintWriter(err));
    assertThat(cli.execute("recordings", "retry", "-Ddatabase.url=" + db.jdbcUrl())).isNotZero();
    assertThat(err.toString()).contains("--failed").contains("--call");
  }
}
