package io.asterline.tenant;

import static io.asterline.db.generated.Tables.TENANT;

import java.util.OptionalLong;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Tenants as stored in PostgreSQL. */
public final class TenantRepository {

  private static final Logger log = LoggerFactory.getLogger(TenantRepository.class);

  private final DSLContext dsl;

  public TenantRepository(DSLContext dsl) {
    this.dsl = dsl;
  }

  /**
   * Single-tenant mode, as the old deployment had it: when no tenant exists and a default id is configured
   * (or the database is the embedded default), create that tenant. Safe to run on several nodes at once.
   */
  public void ensureDefaultTenant(TenantConfig config, boolean embedded) {
    if (config.defaultTenantId().isEmpty() && !embedded) {
      return;
    }
    long id = config.defaultTenantId().orElse(1L);
    dsl.transaction(tx -> {
      DSLContext t = tx.dsl();
      // serialise concurrent starts so only one of them creates the tenant
      t.execute("LOCK TABLE tenant IN SHARE ROW EXCLUSIVE MODE");
      if (t.fetchExists(TENANT)) {
        return;
      }
      t.insertInto(TENANT).set(TENANT.ID, id).set(TENANT.NAME, config.defaultTenantName()).execute();
      // keep identity values handed out later above the explicit id
      t.execute("SELECT setval(pg_get_serial_sequence('tenant', 'id'), (SELECT max(id) FROM tenant))");
      log.info("created default tenant {} ({})", id, config.defaultTenantName());
    });
  }

  public long count() {
    return dsl.fetchCount(TENANT);
  }

  public boolean exists(long id) {
    return dsl.fetchExists(TENANT, TENANT.ID.eq(id));
  }

  /** For API authentication: the active tenant holding the token with this hash. */
  public OptionalLong activeTenantByTokenHash(String sha256Hex) {
    return dsl.select(TENANT.ID).from(TENANT)
        .where(TENANT.API_TOKEN_HASH.eq(sha256Hex)).and(TENANT.STATUS.eq("active"))
        .fetchOptional(TENANT.ID)
        .map(OptionalLong::of).orElse(OptionalLong.empty());
  }
}
