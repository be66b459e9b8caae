package io.asterline.degraded;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import io.asterline.agent.CallSettings;
import io.asterline.agent.CallSettingsRepository;
import io.asterline.db.TestDatabase;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A DEGRADED call talks exactly as it would with the database: the tenant settings kept in memory give the same
 * call settings as the AudioSocket leg reads for a new inbound call (the OpenAI key included, however it is
 * stored), and a disabled tenant is not kept.
 */
class TenantSettingsRepositoryTest {

  @Test
  void theCopyInMemoryGivesACallTheSettingsTheDatabaseWouldHave() {
    try (TestDatabase.Db db = TestDatabase.fresh(2)) {
      long tenant = db.dsl().insertInto(TENANT).set(TENANT.NAME, "kept").set(TENANT.MAX_CONCURRENT_CALLS, 3)
          .set(TENANT.OPENAI_API_KEY, "SEALED").set(TENANT.AI_MODEL, "gpt-realtime-mini")
          .set(TENANT.AI_VOICE, "cedar").set(TENANT.AI_INSTRUCTIONS, "Book tables.")
          .set(TENANT.AI_GREETING, "Hello from Kept").set(TENANT.AI_LANGUAGE, "de")
          .set(TENANT.TRANSFER_NUMBER, "+15550001234").set(TENANT.AI_FALLBACK, "voicemail")
          .set(TENANT.SILENCE_TIMEOUT_MS, 9000).set(TENANT.VOICEMAIL_DETECTION, "all")
          .set(TENANT.VOICEMAIL_WINDOW_MS, 8000).set(TENANT.VOICEMAIL_ACTION, "leave_message")
          .set(TENANT.VOICEMAIL_MESSAGE, "Please call us back.").set(TENANT.VOICEMAIL_GREETING_SOUND, "custom/kept")
          .returning(TENANT.ID).fetchOne(TENANT.ID);
      db.dsl().insertInto(TENANT).set(TENANT.NAME, "gone").set(TENANT.MAX_CONCURRENT_CALLS, 3)
          .set(TENANT.STATUS, "disabled").execute();
      UUID call = UUID.randomUUID();
      db.dsl().insertInto(CALL).set(CALL.ID, call).set(CALL.TENANT_ID, tenant).set(CALL.DIRECTION, "inbound")
          .execute();

      io.asterline.tenant.TenantApiKeys keys = new io.asterline.tenant.TenantApiKeys(db.dsl(),
          new io.asterline.secrets.SecretBox(io.asterline.secrets.SecretsConfig.from(io.asterline.config.Settings.of(
              java.util.Map.of(), java.util.Map.of(), java.util.Map.of("secrets.key",
                  java.util.Base64.getEncoder().encodeToString(new byte[32]))))));
      // stored sealed, as the tenant API stores it
      db.dsl().update(TENANT).set(TENANT.OPENAI_API_KEY, keys.seal(tenant, "sk-tenant-own-key"))
          .where(TENANT.ID.eq(tenant)).execute();
      CallSettingsRepository settings = new CallSettingsRepository(db.dsl(), keys);
      CallSettings fromDatabase = settings.connect(call).orElseThrow();
      var kept = new TenantSettingsRepository(db.dsl()).activeTenants();

      assertThat(kept).singleElement().satisfies(t -> {
        // the copy in memory keeps the key sealed; revealed for the call, it is the database's
        assertThat(t.apiKey().orElseThrow()).doesNotContain("sk-tenant-own-key");
        assertThat(CallSettings.degradedInbound(call, t,
            t.apiKey().map(k -> settings.revealApiKey(t.tenantId(), k)))).isEqualTo(fromDatabase);
        assertThat(t.voicemailGreetingSound()).contains("custom/kept");
        assertThat(t.toString()).doesNotContain("sk-tenant-own-key");
      });
    }
  }
}
