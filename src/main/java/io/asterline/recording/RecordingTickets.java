package io.asterline.recording;

import static io.asterline.db.generated.Tables.RECORDING_TICKET;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * Short-lived tickets that let a browser's audio element fetch one call's recording (or voicemail) with range
 * requests, without the API token in a URL (see V16). A ticket opens that one file until it expires; only its
 * SHA-256 is stored, in PostgreSQL, so the node that serves the audio need not be the one that issued it.
 */
final class RecordingTickets {

  static final Duration LIFETIME = Duration.ofMinutes(10);
  private static final SecureRandom RANDOM = new SecureRandom();

  /** What a ticket opens. */
  record Ticket(UUID callId, RecordingKind kind) {}

  /** A new ticket: its value (shown once) and when it stops working. */
  record Issued(String value, OffsetDateTime expiresAt) {}

  private final DSLContext dsl;

  RecordingTickets(DSLContext dsl) {
    this.dsl = dsl;
  }

  Issued issue(UUID callId, RecordingKind kind) {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    String value = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    OffsetDateTime expires = OffsetDateTime.now().plus(LIFETIME);
    // the expired ones go as new ones come: the table holds at most the tickets of the last few minutes
    dsl.deleteFrom(RECORDING_TICKET).where(RECORDING_TICKET.EXPIRES_AT.lt(DSL.currentOffsetDateTime())).execute();
    dsl.insertInto(RECORDING_TICKET)
        .set(RECORDING_TICKET.TICKET_HASH, hash(value))
        .set(RECORDING_TICKET.CALL_ID, callId)
        .set(RECORDING_TICKET.KIND, kind.value())
        .set(RECORDING_TICKET.EXPIRES_AT, expires)
        .execute();
    return new Issued(value, expires);
  }

  /** What the ticket opens, while it is valid. */
  Optional<Ticket> find(String value) {
    if (value == null || value.isBlank() || value.length() > 100) {
      return Optional.empty();
    }
    return dsl.select(RECORDING_TICKET.CALL_ID, RECORDING_TICKET.KIND).from(RECORDING_TICKET)
        .where(RECORDING_TICKET.TICKET_HASH.eq(hash(value)))
        .and(RECORDING_TICKET.EXPIRES_AT.gt(DSL.currentOffsetDateTime()))
        .fetchOptional(r -> new Ticket(r.value1(), RecordingKind.of(r.value2())));
  }

  private static String hash(String value) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(value.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
