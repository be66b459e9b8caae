package io.asterline.outbound;

import io.asterline.error.InvalidInputException;
import io.asterline.phone.PhoneNumbers;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Checks of the fields an outbound call is placed with, shared by the API and journey nodes. Each error names
 * the field as the client wrote it and what would be valid; the database holds the same rules as CHECKs.
 */
final class CallFields {

  static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  static final Pattern AUDIO_FILE = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_./-]{0,199}");
  static final int MAX_MESSAGE = 2000;

  private CallFields() {}

  /**
   * A phone number: separators people type (spaces, dashes, dots, brackets) are dropped, the rest must be E.164
   * (the old backend's clients send it so) of a length its country uses.
   */
  static String number(String field, String raw, boolean required) {
    if (raw == null || raw.isBlank()) {
      if (required) {
        throw new InvalidInputException(field, field + " is required: an E.164 number such as +14155550123");
      }
      return null;
    }
    try {
      return PhoneNumbers.require(raw, null);
    } catch (IllegalArgumentException e) {
      throw new InvalidInputException(field, field + ": " + e.getMessage());
    }
  }

  static Optional<UUID> didId(String field, String raw) {
    if (raw == null || raw.isBlank()) {
      return Optional.empty();
    }
    try {
      return Optional.of(UUID.fromString(raw.trim()));
    } catch (IllegalArgumentException e) {
      throw new InvalidInputException(field, field + " must be a DID id (a UUID), got '" + raw + "'");
    }
  }

  static Optional<String> segment(String field, String raw) {
    if (raw == null || raw.isBlank()) {
      return Optional.empty();
    }
    if (!SEGMENT.matcher(raw.trim()).matches()) {
      throw new InvalidInputException(field, field + " must be a segment name (letters, digits, '.', '_', '-'; up to "
          + "64), got '" + raw + "'");
    }
    return Optional.of(raw.trim());
  }

  static String audioFile(String field, String raw) {
    if (raw == null || raw.isBlank()) {
      return null;
    }
    String f = raw.trim();
    if (!AUDIO_FILE.matcher(f).matches() || f.contains("..")) {
      throw new InvalidInputException(field, field + " must be an Asterisk sound name under the sounds directory, "
          + "without extension, such as custom/voice_template_123 (letters, digits, '_', '-', '.', '/'; no '..'), got '"
          + raw + "'");
    }
    return f;
  }

  static Long leadId(String field, Long raw) {
    if (raw != null && raw <= 0) {
      throw new InvalidInputException(field, field + " must be a positive number, got " + raw);
    }
    return raw;
  }

  /** The voicemail behaviour: hang_up (default) or leave_message, which needs a message or an audio file. */
  static String voicemailAction(String field, String raw, String message, String audioFile, String messageField) {
    String action = raw == null || raw.isBlank() ? "hang_up" : raw.trim();
    if (!action.equals("hang_up") && !action.equals("leave_message")) {
      throw new InvalidInputException(field, field + " must be hang_up or leave_message, got '" + raw + "'");
    }
    if (message != null && message.length() > MAX_MESSAGE) {
      throw new InvalidInputException(messageField, messageField + " is longer than " + MAX_MESSAGE + " characters");
    }
    if (action.equals("leave_message") && (message == null || message.isBlank()) && audioFile == null) {
      throw new InvalidInputException(messageField, "leave_message needs " + messageField
          + " (what the agent says to the answering machine) or an audio file to play");
    }
    return action;
  }
}
