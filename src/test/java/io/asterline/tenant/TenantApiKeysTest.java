package io.asterline.tenant;

import static io.asterline.db.generated.Tables.TENANT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.asterline.config.ConfigException;
import io.asterline.config.Settings;
import io.asterline.db.TestDatabase;
import io.asterline.secrets.SecretBox;
import io.asterline.secrets.SecretException;
import io.asterline.secrets.SecretsConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tenants' OpenAI keys are encrypted at rest; keys from before encryption keep working and get encrypted. */
class TenantApiKeysTest {

  static final String KEY_A = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
  static final String KEY_B = "HyAfHh0cGxoZGBcWFRQTEhEQDw4NDAsKCQgHBgUEAwI=";

  @TempDir
  Path dir;

  @Test
  void plainTextKeysFromBeforeAreEncryptedInPlaceAndStillReadTheSame() {
    try (TestDatabase.Db db = TestDatabase.fresh(2)) {
      TenantApiKeys keys = keys(db, KEY_A);
      long legacy = tenant(db, "sk-legacy-plain-0001");
      long none = tenant(db, null);

      assertThat(keys.encryptPlainText()).isEqualTo(1);

      String stored = storedKey(db, legacy);
      assertThat(stored).startsWith("enc:v1:").doesNotContain("sk-legacy");
      assertThat(keys.reveal(legacy, stored)).isEqualTo("sk-legacy-plain-0001");
      assertThat(storedKey(db, none)).isNull();
      assertThat(keys.encryptPlainText()).as("nothing left in plain text").isZero();
      assertThat(storedKey(db, legacy)).isEqualTo(stored);
    }
  }

  @Test
  void aNodeWithAnotherSecretsKeyStopsAtStartAndEncryptsNothingWithIt() {
    try (TestDatabase.Db db = TestDatabase.fresh(2)) {
      long sealed = tenant(db, null);
      db.dsl().update(TENANT).set(TENANT.OPENAI_API_KEY, keys(db, KEY_A).seal(sealed, "sk-sealed-0002"))
          .where(TENANT.ID.eq(sealed)).execute();
      long legacy = tenant(db, "sk-legacy-plain-0003");

      assertThatThrownBy(() -> keys(db, KEY_B).encryptPlainText())
          .isInstanceOf(SecretException.class)
          .hasMessageContaining("secrets.key")
          .hasMessageNotContaining("sk-sealed")
          .hasMessageNotContaining(KEY_B);
      assertThat(storedKey(db, legacy)).isEqualTo("sk-legacy-plain-0003");
    }
  }

  @Test
  void anEncryptedKeyCopiedToAnotherTenantDoesNotDecrypt() {
    try (TestDatabase.Db db = TestDatabase.fresh(2)) {
      TenantApiKeys keys = keys(db, KEY_A);
      String sealedForOne = keys.seal(1, "sk-tenant-one");
      assertThat(keys.reveal(1, sealedForOne)).isEqualTo("sk-tenant-one");
      assertThatThrownBy(() -> keys.reveal(2, sealedForOne)).isInstanceOf(SecretException.class);
    }
  }

  @Test
  void withoutSecretsKeyOneIsGeneratedOnFirstNeedInTheDataDirectoryForTheOwnerOnly() throws Exception {
    SecretsConfig config = SecretsConfig.from(Settings.of(Map.of(), Map.of(), Map.of("data.dir", dir.toString())));
    Path file = dir.resolve("secrets.key");
    SecretBox box = new SecretBox(config);
    assertThat(file).as("nothing stored yet, nothing written").doesNotExist();

    String sealed = box.encrypt("sk-generated-0004", "test");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    assertThat(new SecretBox(config).decrypt(sealed, "test")).as("the next start reads the same key")
        .isEqualTo("sk-generated-0004");
  }

  @Test
  void aSecretsKeyThatIsNotBase64Of32BytesStopsTheStartNamingTheKey() {
    assertThatThrownBy(() -> SecretsConfig.from(Settings.of(Map.of(), Map.of("ASTERLINE_SECRETS_KEY", "c2hvcnQ="),
        Map.of()))).isInstanceOf(ConfigException.class).hasMessageContaining("secrets.key")
        .hasMessageContaining("32 bytes");
  }

  private static TenantApiKeys keys(TestDatabase.Db db, String secretsKey) {
    return new TenantApiKeys(db.dsl(),
        new SecretBox(SecretsConfig.from(Settings.of(Map.of(), Map.of(), Map.of("secrets.key", secretsKey)))));
  }

  private static long tenant(TestDatabase.Db db, String apiKey) {
    return db.dsl().insertInto(TENANT).set(TENANT.NAME, "t-" + System.nanoTime())
        .set(TENANT.OPENAI_API_KEY, apiKey).returning(TENANT.ID).fetchOne(TENANT.ID);
  }

  private static String storedKey(TestDatabase.Db db, long tenant) {
    return db.dsl().fetchValue(TENANT.OPENAI_API_KEY, TENANT.ID.eq(tenant));
  }
}
