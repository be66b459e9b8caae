package io.asterline.twilio;

import static io.asterline.db.generated.Tables.ADMISSION_SLOT;
import static io.asterline.db.generated.Tables.ADMISSION_TENANT_USAGE;
import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.DID;
import static io.asterline.db.generated.Tables.TENANT;

import io.asterline.admission.Admission;
import io.asterline.admission.AdmissionConfig;
import io.asterline.call.CallEvents;
import io.asterline.config.Json;
import io.asterline.config.Settings;
import io.asterline.db.TestDatabase;
import io.asterline.did.DidConfig;
import io.asterline.http.HttpConfig;
import io.asterline.http.HttpServer;
import io.asterline.db.generated.tables.records.CallRecord;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.jooq.DSLContext;

/**
 * A migrated database, the Twilio stand-in with its TwiML runner, and the real HTTP server serving the Twilio inbound
 * feature on 127.0.0.1, whose webhook base URL is that server (so the stand-in's signed webhooks reach it as they
 * would through a proxy), with listeners that record every call end and voicemail.
 */
final class TwilioInboundFixture implements AutoCloseable {

  /** How long a status callback's end waits here for the reports that say more. */
  static final Duration STATUS_GRACE = Duration.ofMillis(400);

  record Ended(UUID callId, long tenantId, String recordingFile) {}

  record Voicemail(UUID callId, long tenantId, String file) {}

  final TestDatabase.Db db;
  final TwilioStandIn twilio;
  final TwilioTwimlRunner runner;
  final TwilioConfig config;
  final TwilioInbound inbound;
  final StreamControl control;
  final HttpServer http;
  final URI base;
  final Path recordings;
  final List<Ended> ended = new CopyOnWriteArrayList<>();
  final List<Voicemail> voicemails = new CopyOnWriteArrayList<>();

  TwilioInboundFixture() throws Exception {
    this(TestDatabase.fresh(), Duration.ofSeconds(5));
  }

  TwilioInboundFixture(TestDatabase.Db db, Duration dbDeadline) throws Exception {
    this.db = db;
    this.twilio = new TwilioStandIn();
    this.runner = new TwilioTwimlRunner(twilio);
    this.recordings = Files.createTempDirectory("asterline-twilio-recordings");
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    this.base = URI.create("http://127.0.0.1:" + port);
    Map<String, String> options = new HashMap<>(twilio.settings(base));
    options.put("admission.max-calls", "100");
    Settings settings = Settings.of(Map.of(), Map.of(), options);
    this.config = TwilioConfig.from(settings, DidConfig.from(settings).twilio());
    CallEvents events = new CallEvents() {
      @Override
      public void ended(UUID callId, long tenantId, String recordingFile) {
        ended.add(new Ended(callId, tenantId, recordingFile));
      }

      @Override
      public void voicemailLeft(UUID callId, long tenantId, String file) {
        voicemails.add(new Voicemail(callId, tenantId, file));
      }
    };
    Admission admission = new Admission(db.dsl(), AdmissionConfig.from(settings));
    this.inbound = TwilioInbound.start(config, db.dsl(), admission, recordings, events, Json.mapper(), "1",
        dbDeadline, STATUS_GRACE);
    this.control = inbound.streamControl().orElseThrow();
    this.http = new HttpServer(HttpConfig.from(Settings.of(Map.of(), Map.of(), Map.of("http.port",
        Integer.toString(port)))), Json.mapper()).routes(inbound.routes()).start();
  }

  DSLContext dsl() {
    return db.dsl();
  }

  URI url(String path) {
    return URI.create(base + path);
  }

  long tenant(String name, int maxCalls, String route, String transferNumber) {
    return dsl().insertInto(TENANT).set(TENANT.NAME, name).set(TENANT.MAX_CONCURRENT_CALLS, maxCalls)
        .set(TENANT.INBOUND_ROUTE, route).set(TENANT.TRANSFER_NUMBER, transferNumber)
        .returning(TENANT.ID).fetchOne(TENANT.ID);
  }

  UUID did(long tenantId, String number) {
    return dsl().insertInto(DID).set(DID.TENANT_ID, tenantId).set(DID.NUMBER, number).set(DID.TRUNK, "TWILIO")
        .returning(DID.ID).fetchOne(DID.ID);
  }

  /** A call arriving at {@code did}: its voice webhook, answered; the runner runs the answer. */
  TwilioStandIn.Answer arrive(TwilioStandIn.Call call) {
    TwilioStandIn.Answer answer = twilio.voiceWebhook(call, url("/twilio/voice"));
    if (answer.status() == 200) {
      runner.run(call, answer.body());
    }
    return answer;
  }

  /** The number's "call status changes" webhook, as Twilio sends it when the call is over. */
  TwilioStandIn.Answer statusCallback(TwilioStandIn.Call call, String status) {
    call.status = status;
    return twilio.webhook(url("/twilio/voice-status"), twilio.callParams(call).add("CallStatus", status)
        .add("CallDuration", 7).add("CallbackSource", "call-progress-events").add("SequenceNumber", 0));
  }

  CallRecord callBySid(String sid) {
    return dsl().selectFrom(CALL).where(CALL.PROVIDER_CALL_SID.eq(sid)).fetchOne();
  }

  CallRecord call(UUID id) {
    return dsl().selectFrom(CALL).where(CALL.ID.eq(id)).fetchOne();
  }

  int calls() {
    return dsl().fetchCount(CALL);
  }

  int slots() {
    return dsl().fetchCount(ADMISSION_SLOT);
  }

  int inUse(long tenantId) {
    return dsl().select(ADMISSION_TENANT_USAGE.IN_USE).from(ADMISSION_TENANT_USAGE)
        .where(ADMISSION_TENANT_USAGE.TENANT_ID.eq(tenantId)).fetchOptional(ADMISSION_TENANT_USAGE.IN_USE).orElse(0);
  }

  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(20);
    }
  }

  @Override
  public void close() {
    http.close();
    inbound.close();
    twilio.close();
    db.close();
  }
}
