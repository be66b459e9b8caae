package io.asterline.admin;

import static io.asterline.db.generated.Tables.ADMIN_TOKEN;

import io.asterline.http.Auth;
import java.util.Optional;
import org.jooq.DSLContext;

/**
 * The generated admin token, when {@code admin.token} is not configured: one row with its SHA-256 hash, shared
 * by every node on the database. The token itself is never stored; whoever creates it shows it once.
 */
public final class AdminTokenRepository {

  private final DSLContext dsl;

  public AdminTokenRepository(DSLContext dsl) {
    this.dsl = dsl;
  }

  /**
   * Creates the admin token unless one exists, in one statement so that of several nodes starting at once
   * exactly one creates (and prints) it.
   *
   * @return the new token, or empty when one already existed
   */
  public Optional<String> createIfAbsent() {
    String token = Auth.newToken();
    int inserted = dsl.insertInto(ADMIN_TOKEN)
        .set(ADMIN_TOKEN.TOKEN_HASH, Auth.hash(token))
        .onConflictDoNothing()
        .execute();
    return inserted == 1 ? Optional.of(token) : Optional.empty();
  }

  /** Replaces the admin token (or creates the first); the old one stops working at once, on every node. */
  public String rotate() {
    String token = Auth.newToken();
    dsl.insertInto(ADMIN_TOKEN)
        .set(ADMIN_TOKEN.TOKEN_HASH, Auth.hash(token))
        .onConflict(ADMIN_TOKEN.ID)
        .doUpdate()
        .set(ADMIN_TOKEN.TOKEN_HASH, Auth.hash(token))
        .set(ADMIN_TOKEN.CREATED_AT, org.jooq.impl.DSL.currentOffsetDateTime())
        .execute();
    return token;
  }

  public boolean exists() {
    return dsl.fetchExists(ADMIN_TOKEN);
  }

  /** For API authentication: whether this is the hash of the current generated admin token. */
  public boolean isAdminTokenHash(String sha256Hex) {
    return dsl.fetchExists(ADMIN_TOKEN, ADMIN_TOKEN.TOKEN_HASH.eq(sha256Hex));
  }
}
