package io.asterline.twiliomedia;

import static io.asterline.db.generated.Tables.CALL;

import io.asterline.db.TestDatabase;
import io.asterline.db.generated.tables.records.CallRecord;
import java.util.UUID;

/** Call rows the stream tests need beside Twilio's. */
final class MediaRows {

  private MediaRows() {}

  /** A live call Asterisk carries: no stream may claim it. */
  static UUID asteriskCall(TestDatabase.Db db, long tenant) {
    CallRecord c = db.dsl().newRecord(CALL);
    c.setId(UUID.randomUUID());
    c.setTenantId(tenant);
    c.setDirection("inbound");
    c.setState("answered");
    c.store();
    return c.getId();
  }
}
