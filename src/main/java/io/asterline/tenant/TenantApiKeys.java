package io.asterline.tenant;

import static io.asterline.db.generated.Tables.TENANT;

import io.asterline.secrets.SecretBox;
import io.asterline.secrets.SecretException;
import org.jooq.DSLContext;
import org.jooq.Record2;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tenants' own OpenAI keys ({@code tenant.openai_api_key}), encrypted at rest by a {@link SecretBox}. Each is
 * sealed to its tenant: a value copied to another tenant's row does not decrypt. Keys stored in plain text
 * (before encryption, or written by hand in SQL) are still read, and are encrypted at each start.
 */
public final class TenantApiKeys {

  private static final Logger log = LoggerFactory.getLogger(TenantApiKeys.class);

  private final DSLContext dsl;
  private final SecretBox box;

  public TenantApiKeys(DSLContext dsl, SecretBox box) {
    this.dsl = dsl;
    this.box = box;
  }

  /** The key as the Realtime session needs it, from its stored form (encrypted or legacy plain text). */
  public String reveal(long tenantId, String stored) {
    return box.decrypt(stored, context(tenantId));
  }

  /** The stored form of a tenant's key. */
  public String seal(long tenantId, String apiKey) {
    return box.encrypt(apiKey, context(tenantId));
  }

  /**
   * At start: checks this node's key reads the keys already encrypted (a node with another key would fail
   * every call of those tenants, and must not encrypt more with it), then encrypts those still in plain text.
   * Each is replaced only if unchanged meanwhile, so nodes starting together do no harm.
   *
   * @throws SecretException when the stored keys were encrypted with another secrets key
   */
  public int encryptPlainText() {
    Record2<Long, String> sample = dsl.select(TENANT.ID, TENANT.OPENAI_API_KEY).from(TENANT)
        .where(TENANT.OPENAI_API_KEY.startsWith(SecretBox.ENCRYPTED_PREFIX))
        .orderBy(TENANT.ID).limit(1).fetchOne();
    if (sample != null) {
      reveal(sample.value1(), sample.value2());
    }
    int encrypted = 0;
    for (Record2<Long, String> r : dsl.select(TENANT.ID, TENANT.OPENAI_API_KEY).from(TENANT)
        .where(TENANT.OPENAI_API_KEY.isNotNull())
        .and(TENANT.OPENAI_API_KEY.notLike(SecretBox.ENCRYPTED_PREFIX + "%"))
        .fetch()) {
      encrypted += dsl.update(TENANT)
          .set(TENANT.OPENAI_API_KEY, seal(r.value1(), r.value2()))
          .where(TENANT.ID.eq(r.value1()))
          .and(TENANT.OPENAI_API_KEY.eq(r.value2()))
          .execute();
    }
    if (encrypted > 0) {
      log.info("secrets: encrypted {} tenant OpenAI key(s) that were stored in plain text", encrypted);
    }
    return encrypted;
  }

  static String context(long tenantId) {
    return "tenant.openai_api_key:" + tenantId;
  }
}
