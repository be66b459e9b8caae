package io.asterline.agi;

import static io.asterline.db.generated.Tables.ADMISSION_SLOT;
import static io.asterline.db.generated.Tables.ADMISSION_TENANT_USAGE;
import static io.asterline.db.generated.Tables.ADMISSION_TOTAL;
import static io.asterline.db.generated.Tables.DID;
import static io.asterline.db.generated.Tables.TENANT;

import io.asterline.admission.Admission;
import io.asterline.admission.AdmissionConfig;
import io.asterline.call.CallEvents;
import io.asterline.config.Json;
import io.asterline.config.Settings;
import io.asterline.db.TestDatabase;
import io.asterline.degraded.DegradedMode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jooq.DSLContext;

/** A migrated database and a running AgiService on 127.0.0.1, port 0, with a recording CallEvents. */
final class AgiFixture implements AutoCloseable {

  record EndedEvent(UUID callId, long tenantId, String recordingFile) {}

  final TestDatabase.Db db;
  final AgiService agi;
  final FakeAsterisk asterisk;
  final Path recordings;
  /** The node's data directory: its journal lives in {@code journal/} here. */
  final Path dataDir;
  final DegradedMode degraded;
  final List<EndedEvent> ended = new CopyOnWriteArrayList<>();
  final SimpleMeterRegistry metrics = new SimpleMeterRegistry();

  AgiFixture(Map<String, String> overrides) throws Exception {
    this(TestDatabase.fresh(20), overrides);
  }

  AgiFixture(TestDatabase.Db db, Map<String, String> overrides) throws Exception {
    this(db, overrides, Files.createTempDirectory("asterline-recordings"));
  }

  AgiFixture(TestDatabase.Db db, Map<String, String> overrides, Path recordings) throws Exception {
    this(db, overrides, recordings, Files.createTempDirectory("asterline-data"));
  }

  AgiFixture(TestDatabase.Db db, Map<String, String> overrides, Path recordings, Path dataDir) throws Exception {
    this.db = db;
    this.dataDir = dataDir;
    this.recordings = recordings;
    Map<String, String> options = new HashMap<>();
    options.put("agi.port", "0");
    // no AudioSocket server here: the address it would otherwise follow
    options.put("agi.audiosocket-address", "127.0.0.1:9092");
    options.putAll(overrides);
    AgiConfig config = AgiConfig.from(Settings.of(Map.of(), Map.of(), options));
    CallEvents events = new CallEvents() {
      @Override
      public void ended(UUID callId, long tenantId, String recordingFile) {
        ended.add(new EndedEvent(callId, tenantId, recordingFile));
      }
    };
    this.degraded = DegradedMode.open(dataDir, config.journalMaxBytes(), Json.mapper());
    Admission admission = new Admission(db.dsl(), AdmissionConfig.from(Settings.of(Map.of(), Map.of(), options)));
    this.agi = AgiService.start(config, admission, recordings, db.dsl(), 8, events, metrics, Map.of(), degraded);
    this.asterisk = new FakeAsterisk(agi.port());
  }

  DSLContext dsl() {
    return db.dsl();
  }

  long tenant(String name, int maxCalls) {
    return dsl().insertInto(TENANT).set(TENANT.NAME, name).set(TENANT.MAX_CONCURRENT_CALLS, maxCalls)
        .returning(TENANT.ID).fetchOne(TENANT.ID);
  }

  UUID did(long tenantId, String number) {
    return dsl().insertInto(DID).set(DID.TENANT_ID, tenantId).set(DID.NUMBER, number).set(DID.TRUNK, "TWILIO")
        .returning(DID.ID).fetchOne(DID.ID);
  }

  FakeAsterisk.Exchange inbound(String did) throws Exception {
    return asterisk.send(FakeAsterisk.request("inbound").args(did));
  }

  FakeAsterisk.Exchange callEnd(String callId) throws Exception {
    return asterisk.send(FakeAsterisk.request("call-end").args(callId, "ANSWER", "16", "/rec/" + callId + ".wav"));
  }

  int slotsInUse(long tenantId) {
    return dsl().select(ADMISSION_TENANT_USAGE.IN_USE).from(ADMISSION_TENANT_USAGE)
        .where(ADMISSION_TENANT_USAGE.TENANT_ID.eq(tenantId)).fetchOptional(ADMISSION_TENANT_USAGE.IN_USE).orElse(0);
  }

  int slotRows() {
    return dsl().fetchCount(ADMISSION_SLOT);
  }

  int totalInUse() {
    return dsl().fetchValue(ADMISSION_TOTAL.IN_USE);
  }

  @Override
  public void close() {
    agi.close();
    degraded.close();
    db.close();
  }
}
