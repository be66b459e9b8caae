package io.asterline.db;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.DID;
import static io.asterline.db.generated.Tables.TENANT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.Statement;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.JSONB;
import org.jooq.exception.DataAccessException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class MigrationsTest {

  static TestDatabase.Db db;
  static DSLContext dsl;
  static long tenant;

  @BeforeAll
  static void setUp() {
    db = TestDatabase.fresh();
    dsl = db.dsl();
    tenant = dsl.insertInto(TENANT).set(TENANT.NAME, "acme").returning(TENANT.ID).fetchOne(TENANT.ID);
  }

  @Test
  void applyOnAnEmptyDatabaseThenAgainIsANoOp() throws Exception {
    String name = "empty_" + UUID.randomUUID().toString().replace("-", "");
    try (Connection c = TestDatabase.server().getPostgresDatabase().getConnection();
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    }
    var empty = TestDatabase.server().getDatabase("postgres", name);
    assertThat(Migrations.apply(empty)).isGreaterThanOrEqualTo(1);
    assertThat(Migrations.apply(empty)).isZero();
    try (Connection c = empty.getConnection(); Statement s = c.createStatement()) {
      var rs = s.executeQuery("SELECT count(*) FROM information_schema.tables WHERE table_name IN ('tenant','did','call')");
      rs.next();
      assertThat(rs.getInt(1)).isEqualTo(3);
    }
  }

  @Test
  void databaseRefusesANumberThatIsNotE164() {
    for (String bad : new String[] {"15551234567", "+0123", "+1555123456789012", "+1 555 123", "abc"}) {
      assertThatThrownBy(() -> insertDid(bad, "active"))
          .as(bad)
          .isInstanceOf(DataAccessException.class)
          .hasMessageContaining("e164_format");
    }
    insertDid("+15551230001", "active");
  }

  @Test
  void databaseRefusesAnUnknownStatus() {
    assertThatThrownBy(() -> insertDid("+15551230002", "enabled"))
        .isInstanceOf(DataAccessException.class)
        .hasMessageContaining("did_status_known");
    assertThatThrownBy(() -> dsl.update(TENANT).set(TENANT.STATUS, "paused").where(TENANT.ID.eq(tenant)).execute())
        .hasMessageContaining("tenant_status_known");
  }

  @Test
  void numbersAreUniqueAndBelongToATenantThatExists() {
    insertDid("+15551230003", "available");
    assertThatThrownBy(() -> insertDid("+15551230003", "active")).hasMessageContaining("did_number_unique");
    assertThatThrownBy(() -> dsl.insertInto(DID).set(DID.TENANT_ID, 999_999L).set(DID.NUMBER, "+15551230004")
        .set(DID.TRUNK, "TWILIO").execute()).hasMessageContaining("foreign key");
  }

  @Test
  void metadataMustBeAnObjectAndCallsNeedAKnownDirection() {
    assertThatThrownBy(() -> dsl.insertInto(DID).set(DID.TENANT_ID, tenant).set(DID.NUMBER, "+15551230005")
        .set(DID.TRUNK, "TWILIO").set(DID.METADATA, JSONB.valueOf("[1]")).execute())
        .hasMessageContaining("did_metadata_is_object");
    assertThatThrownBy(() -> dsl.insertInto(CALL).set(CALL.ID, UUID.randomUUID()).set(CALL.TENANT_ID, tenant)
        .set(CALL.DIRECTION, "sideways").execute()).hasMessageContaining("call_direction_known");
  }

  @Test
  void aRefusedWriteLeavesStoredRowsIntact() {
    insertDid("+15551230006", "active");
    assertThatThrownBy(() -> dsl.update(DID).set(DID.NUMBER, "not-a-number")
        .where(DID.NUMBER.eq("+15551230006")).execute()).isInstanceOf(DataAccessException.class);
    assertThat(dsl.fetchExists(DID, DID.NUMBER.eq("+15551230006"))).isTrue();
  }

  private void insertDid(String number, String status) {
    dsl.insertInto(DID)
        .set(DID.TENANT_ID, tenant)
        .set(DID.NUMBER, number)
        .set(DID.TRUNK, "TWILIO")
        .set(DID.STATUS, status)
        .execute();
  }
}
