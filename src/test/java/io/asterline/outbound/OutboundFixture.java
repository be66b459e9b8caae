package io.asterline.outbound;

import io.asterline.admission.Admission;
import io.asterline.admission.AdmissionConfig;
import io.asterline.did.DidService;
import static io.asterline.db.generated.Tables.DID;
import static io.asterline.db.generated.Tables.TENANT;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.agi.AgiConfig;
import io.asterline.compliance.Compliance;
import io.asterline.compliance.TestClock;
import io.asterline.config.Json;
import io.asterline.config.Settings;
import io.asterline.db.TestDatabase;
import io.asterline.http.Auth;
import io.asterline.http.HttpConfig;
import io.asterline.http.HttpServer;
import io.asterline.recording.StorageConfig;
import io.asterline.tenant.TenantRepository;
import io.asterline.call.CallEvents;
import io.asterline.twilio.TwilioConfig;
import io.asterline.twilio.TwilioStandIn;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.jooq.DSLContext;

/**
 * The outbound feature as it runs, around a fake Asterisk: a fresh migrated PostgreSQL, the fake AMI server, the
 * Outbound wiring, and a real HTTP server with the real authentication, all on ephemeral ports.
 */
public final class OutboundFixture implements AutoCloseable {

  public static final String AMI_USER = "asterline";
  public static final String AMI_PASSWORD = "s3cret-ami-Pa55word";
  public static final String ADMIN = "admin-token-0123456789";

  public final TestDatabase.Db db;
  public final DSLContext dsl;
  public final FakeAmi ami;
  public final Outbound outbound;
  /** The slot store outbound shares with inbound calls (drain it as a shutdown does). */
  public final Admission admission;
  public final HttpServer http;
  public final ObjectMapper json = Json.mapper();
  public final io.micrometer.core.instrument.simple.SimpleMeterRegistry metrics =
      new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
  public final long tenant;
  public final String token;
  /** "Now" for calling windows; the system's time until a test sets it. */
  public final TestClock clock = new TestClock(java.time.Instant.now());
  /** The do-not-call list and calling windows placement is held to, with their routes on {@link #http}. */
  public final Compliance compliance;
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  /** The Twilio stand-in calls may go to, or null. */
  public final TwilioStandIn twilio;
  /** The calls whose end reached the call-end listeners (the recording pipeline), in order. */
  public final List<UUID> endedEvents = new CopyOnWriteArrayList<>();

  private OutboundFixture(Map<String, String> options, int maxCalls, String amiPassword) throws Exception {
    this(options, maxCalls, amiPassword, null);
  }

  private OutboundFixture(Map<String, String> options, int maxCalls, String amiPassword, TwilioStandIn twilio)
      throws Exception {
    this.twilio = twilio;
    db = TestDatabase.fresh();
    dsl = db.dsl();
    token = Auth.newToken();
    tenant = dsl.insertInto(TENANT)
        .set(TENANT.NAME, "acme")
        .set(TENANT.API_TOKEN_HASH, Auth.hash(token))
        .set(TENANT.MAX_CONCURRENT_CALLS, maxCalls)
        .returning(TENANT.ID).fetchOne(TENANT.ID);
    ami = FakeAmi.start(AMI_USER, AMI_PASSWORD);
    Map<String, String> o = new HashMap<>();
    o.put("ami.port", Integer.toString(ami.port()));
    o.put("ami.user", AMI_USER);
    o.put("ami.password", amiPassword);
    o.put("ami.reconnect-min", "20ms");
    o.put("ami.reconnect-max", "200ms");
    o.put("ami.response-timeout", "1s");
    o.put("outbound.cps", "1000");
    o.put("outbound.accept-wait", "2s");
    o.put("recordings.dir", "/var/spool/asterisk/recordings");
    // no AudioSocket server here: the address it would otherwise follow
    o.put("agi.audiosocket-address", "127.0.0.1:9092");
    // Twilio signs its webhooks over the public URL: the HTTP server's port must be known before it starts
    int httpPort = twilio == null ? 0 : freePort();
    if (twilio != null) {
      o.putAll(twilio.settings(URI.create("http://127.0.0.1:" + httpPort)));
    }
    o.putAll(options);
    Settings settings = Settings.of(Map.of(), Map.of(), o);
    TwilioConfig twilioConfig = TwilioConfig.from(settings, io.asterline.did.DidConfig.from(settings).twilio());
    AgiConfig agi = AgiConfig.from(settings);
    compliance = Compliance.start(dsl, json, "1", clock);
    // the real wiring's parts: the DID rotation and the slot store shared with inbound calls
    outbound = Outbound.start(AmiConfig.from(settings),
        OutboundConfig.from(settings).withAudioSocketAddress(agi.audioSocketAddress()), StorageConfig.from(settings),
        dsl, json, new DidCallerIds(DidService.create(dsl, io.asterline.config.Json.mapper(),
        io.asterline.did.DidConfig.from(io.asterline.config.Settings.of(java.util.Map.of(), java.util.Map.of(), java.util.Map.of())),
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry())), admission = new Admission(dsl, AdmissionConfig.from(settings)),
        compliance.service(), metrics, twilioConfig, new CallEvents() {
          @Override
          public void ended(UUID callId, long tenantId, String recordingFile) {
            endedEvents.add(callId);
          }
        });
    TenantRepository tenants = new TenantRepository(dsl);
    http = new HttpServer(HttpConfig.from(Settings.of(Map.of(), Map.of(), Map.of("http.port",
        Integer.toString(httpPort)))), json)
        .health(outbound.health())
        .auth(new Auth(Optional.of(ADMIN), Auth.AdminLookup.NONE, tenants::activeTenantByTokenHash,
            tenants::disabledTenantByTokenHash))
        .routes(outbound::routes)
        .routes(compliance.routes())
        .start();
  }

  public static OutboundFixture start() throws Exception {
    return new OutboundFixture(Map.of(), 10, AMI_PASSWORD);
  }

  public static OutboundFixture start(Map<String, String> options, int maxCalls) throws Exception {
    return new OutboundFixture(options, maxCalls, AMI_PASSWORD);
  }

  public static OutboundFixture withAmiPassword(String password) throws Exception {
    return new OutboundFixture(Map.of(), 10, password);
  }

  /** With Twilio configured: its REST API is {@code twilio}, whose webhooks reach this fixture's HTTP server. */
  public static OutboundFixture withTwilio(TwilioStandIn twilio, Map<String, String> options, int maxCalls)
      throws Exception {
    return new OutboundFixture(options, maxCalls, AMI_PASSWORD, twilio);
  }

  private static int freePort() throws java.io.IOException {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** A number Twilio holds, as {@code dids import twilio} stores it. */
  public UUID twilioDid(String number, String segment, String trunk) {
    return dsl.insertInto(DID)
        .set(DID.TENANT_ID, tenant)
        .set(DID.NUMBER, number)
        .set(DID.SEGMENT, segment)
        .set(DID.TRUNK, trunk)
        .set(DID.METADATA, org.jooq.JSONB.valueOf("{\"provider\": \"Twilio\", \"import_source\": \"twilio-api\"}"))
        .returning(DID.ID).fetchOne(DID.ID);
  }

  public UUID did(String number, String segment, String trunk) {
    return dsl.insertInto(DID)
        .set(DID.TENANT_ID, tenant)
        .set(DID.NUMBER, number)
        .set(DID.SEGMENT, segment)
        .set(DID.TRUNK, trunk)
        .returning(DID.ID).fetchOne(DID.ID);
  }

  public long usage(UUID did) {
    return dsl.select(DID.USAGE_COUNT).from(DID).where(DID.ID.eq(did)).fetchOne(DID.USAGE_COUNT);
  }

  public void awaitAmiUp() {
    await(() -> outbound.service() != null && amiState().equals("UP"), "AMI connected");
  }

  public String amiState() {
    try {
      return health().path("parts").path("ami").path("state").asText();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public JsonNode health() throws Exception {
    // the parts' details are for the admin only
    return json.readTree(send(HttpRequest.newBuilder(uri("/health")).GET(), ADMIN).body());
  }

  public HttpResponse<String> post(String path, String bearer, String body) throws Exception {
    return send(HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.ofString(body))
        .header("Content-Type", "application/json"), bearer);
  }

  public HttpResponse<String> put(String path, String bearer, String body) throws Exception {
    return send(HttpRequest.newBuilder(uri(path)).PUT(HttpRequest.BodyPublishers.ofString(body))
        .header("Content-Type", "application/json"), bearer);
  }

  public HttpResponse<String> get(String path, String bearer) throws Exception {
    return send(HttpRequest.newBuilder(uri(path)).GET(), bearer);
  }

  public HttpResponse<String> delete(String path, String bearer) throws Exception {
    return send(HttpRequest.newBuilder(uri(path)).DELETE(), bearer);
  }

  public JsonNode read(HttpResponse<String> r) throws Exception {
    return json.readTree(r.body());
  }

  private HttpResponse<String> send(HttpRequest.Builder b, String bearer) throws Exception {
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    return client.send(b.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + http.port() + path);
  }

  /** Polls until true (at most 10 s): for effects that arrive on other threads. */
  public static void await(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for: " + what);
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for: " + what);
      }
    }
  }

  @Override
  public void close() {
    http.close();
    outbound.close();
    ami.close();
    db.close();
  }
}
