package io.asterline.recording;

import static io.asterline.db.generated.Tables.RECORDING_TICKET;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.db.TestDatabase;
import io.asterline.http.HttpServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console's playback links: an audio element cannot send the API token, so the API hands out a short-lived
 * ticket for one call's audio, which then serves range requests without the token; another tenant gets none.
 */
class PlaybackLinkTest {

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

  private HttpResponse<byte[]> send(String method, String path, String token, String range) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + path))
        .method(method, HttpRequest.BodyPublishers.noBody());
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    if (range != null) {
      b.header("Range", range);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  @Test
  void aTicketPlaysOneCallsRecordingWithRangesUntilItExpiresAndAnotherTenantGetsNone() throws Exception {
    RecordingConfig config = Fixtures.config(openai.url());
    long acme = Fixtures.tenant(db.dsl(), "acme", false);
    Fixtures.tenant(db.dsl(), "other", false);
    byte[] audio = Fixtures.wav(4000);
    Path path = Fixtures.recording(recordings, acme, UUID.randomUUID(), audio);
    UUID id = Fixtures.call(db.dsl(), acme, OffsetDateTime.now(), path);
    jobs.enqueue(id, acme, path.toString());

    HttpResponse<byte[]> early = send("POST", "/api/calls/" + id + "/recording/link", Fixtures.token("acme"), null);
    assertThat(early.statusCode()).isEqualTo(404);
    assertThat(new String(early.body())).contains("not stored yet");

    Fixtures.drain(jobs, Fixtures.processor(config, recordings, jobs, new LocalStorage(Optional.empty()),
        Fixtures.transcriber(config)), config);

    assertThat(send("POST", "/api/calls/" + id + "/recording/link", Fixtures.token("other"), null).statusCode())
        .as("another tenant's call is not even confirmed").isEqualTo(404);
    assertThat(send("POST", "/api/calls/" + id + "/recording/link", null, null).statusCode()).isEqualTo(401);

    HttpResponse<byte[]> link = send("POST", "/api/calls/" + id + "/recording/link", Fixtures.token("acme"), null);
    assertThat(link.statusCode()).isEqualTo(200);
    JsonNode body = json.readTree(link.body());
    String url = body.get("url").asText();
    assertThat(url).startsWith("/media/recording?ticket=").doesNotContain(Fixtures.token("acme"));
    assertThat(OffsetDateTime.parse(body.get("expiresAt").asText()))
        .isBetween(OffsetDateTime.now().plusMinutes(9), OffsetDateTime.now().plusMinutes(11));
    // only the ticket's hash is kept
    String ticket = url.substring(url.indexOf('=') + 1);
    assertThat(db.dsl().fetchValue(RECORDING_TICKET.TICKET_HASH)).hasSize(64).isNotEqualTo(ticket);

    // no token: the ticket is the permission, for this file only
    HttpResponse<byte[]> whole = send("GET", url, null, null);
    assertThat(whole.statusCode()).isEqualTo(200);
    assertThat(whole.headers().firstValue("Content-Type")).hasValue("audio/wav");
    assertThat(whole.headers().firstValue("Accept-Ranges")).hasValue("bytes");
    assertThat(whole.body()).isEqualTo(audio);
    HttpResponse<byte[]> part = send("GET", url, null, "bytes=44-143");
    assertThat(part.statusCode()).isEqualTo(206);
    assertThat(part.headers().firstValue("Content-Range")).hasValue("bytes 44-143/" + audio.length);
    assertThat(part.body()).isEqualTo(Arrays.copyOfRange(audio, 44, 144));

    assertThat(send("GET", "/media/recording?ticket=" + ticket + "x", null, null).statusCode()).isEqualTo(404);
    assertThat(send("GET", "/media/recording", null, null).statusCode()).isEqualTo(404);
    db.dsl().update(RECORDING_TICKET).set(RECORDING_TICKET.EXPIRES_AT, OffsetDateTime.now().minusSeconds(1)).execute();
    HttpResponse<byte[]> expired = send("GET", url, null, null);
    assertThat(expired.statusCode()).isEqualTo(404);
    assertThat(new String(expired.body())).contains("expired");

    // the next link replaces the expired tickets rather than piling them up
    assertThat(send("POST", "/api/calls/" + id + "/recording/link", Fixtures.token("acme"), null).statusCode())
        .isEqualTo(200);
    assertThat(db.dsl().fetchCount(RECORDING_TICKET)).isEqualTo(1);
    assertThat(send("POST", "/api/calls/" + id + "/recording/link?kind=nonsense", Fixtures.token("acme"), null)
        .statusCode()).isEqualTo(400);
  }
}
