package io.asterline.admin;

import io.asterline.feature.Feature;
import io.asterline.http.HttpConfig;
import java.util.Optional;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin feature started: which admin tokens {@code /api} accepts. Without {@code admin.token} nothing could
 * use /api, so the first start on a database makes a token (only its hash is kept), which the serve command shows
 * once.
 */
public final class Admin implements Feature {

  private static final Logger log = LoggerFactory.getLogger(Admin.class);

  private final AdminTokenRepository tokens;
  private final Optional<String> newToken;

  private Admin(AdminTokenRepository tokens, Optional<String> newToken) {
    this.tokens = tokens;
    this.newToken = newToken;
  }

  public static Admin start(HttpConfig config, DSLContext dsl) {
    AdminTokenRepository tokens = new AdminTokenRepository(dsl);
    Optional<String> newToken = config.adminToken().isPresent() ? Optional.empty() : tokens.createIfAbsent();
    if (config.adminToken().isEmpty() && newToken.isEmpty()) {
      log.info("http: /api takes the admin token generated on the first start on this database; a lost one is"
          + " replaced by 'asterline token admin --rotate'");
    }
    return new Admin(tokens, newToken);
  }

  /** Whether a token's SHA-256 is the generated admin token's (the one without {@code admin.token}). */
  public boolean isAdminTokenHash(String sha256Hex) {
    return tokens.isAdminTokenHash(sha256Hex);
  }

  /** The token this start generated, if it did (the first start on a database without {@code admin.token}). */
  public Optional<String> newToken() {
    return newToken;
  }

  @Override
  public String name() {
    return "admin";
  }
}
