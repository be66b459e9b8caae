package io.asterline.tenant;

import io.asterline.config.ConfigKey;
import io.asterline.config.Settings;
import java.util.List;
import java.util.OptionalLong;

/** Single-tenant setups: which tenant to create when none exists. */
public record TenantConfig(OptionalLong defaultTenantId, String defaultTenantName) {

  public static final ConfigKey DEFAULT_ID = ConfigKey.of("tenant.default-id", null,
      "id of the tenant created at start when none exists (single-tenant mode)").withAliases("DEFAULT_TENANT_ID");
  public static final ConfigKey DEFAULT_NAME = ConfigKey.of("tenant.default-name", "default",
      "name of that tenant");

  public static final List<ConfigKey> KEYS = List.of(DEFAULT_ID, DEFAULT_NAME);

  public static TenantConfig from(Settings settings) {
    OptionalLong id = settings.value(DEFAULT_ID).isPresent()
        ? OptionalLong.of(settings.integer(DEFAULT_ID, 1, Integer.MAX_VALUE))
        : OptionalLong.empty();
    return new TenantConfig(id, settings.string(DEFAULT_NAME));
  }
}
