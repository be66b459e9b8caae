package io.asterline.did;

import static io.asterline.db.generated.Tables.DID;
import static io.asterline.db.generated.Tables.TENANT;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.config.Json;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.UUID;
import org.jooq.DSLContext;

/** Tenants and numbers written straight into a test database. */
final class DidFixtures {

  static final ObjectMapper JSON = Json.mapper();

  private DidFixtures() {}

  static long tenant(DSLContext dsl, String name) {
    return dsl.insertInto(TENANT).set(TENANT.NAME, name).returning(TENANT.ID).fetchOne(TENANT.ID);
  }

  static UUID did(DSLContext dsl, long tenant, String number, String segment) {
    return dsl.insertInto(DID)
        .set(DID.TENANT_ID, tenant).set(DID.NUMBER, number).set(DID.SEGMENT, segment).set(DID.TRUNK, "TWILIO")
        .returning(DID.ID).fetchOne(DID.ID);
  }

  /** {@code count} numbers +1 415 555 01xx in the segment. */
  static List<UUID> dids(DSLContext dsl, long tenant, String segment, int first, int count) {
    List<UUID> ids = new ArrayList<>();
    for (int i = first; i < first + count; i++) {
      ids.add(did(dsl, tenant, String.format("+1415555%04d", i), segment));
    }
    return ids;
  }

  static NumberHealth health(DSLContext dsl) {
    return new NumberHealth(dsl, DidConfig.Health.defaults(), OptionalInt.empty());
  }

  static DidService service(DSLContext dsl) {
    return service(dsl, OptionalInt.empty(), Duration.ZERO);
  }

  static DidService service(DSLContext dsl, OptionalInt cap, Duration cooldown) {
    return new DidService(new DidRepository(dsl, JSON, cap, cooldown, ZoneId.of("UTC")), "1",
        new SimpleMeterRegistry());
  }
}
