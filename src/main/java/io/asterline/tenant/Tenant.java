package io.asterline.tenant;

import io.asterline.call.Decision;
import io.asterline.call.Route;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** A customer of this Asterline: its limits and its agent's settings. Its API token is never part of it. */
public record Tenant(
    long id,
    String name,
    String status,
    int maxConcurrentCalls,
    String aiModel,
    String aiVoice,
    String aiInstructions,
    String aiGreeting,
    String aiLanguage,
    String transferNumber,
    boolean recordingEnabled,
    String voicemailGreetingSound,
    String inboundRoute,
    String aiGoodbye,
    String aiFallback,
    int silenceTimeoutMs,
    String voicemailDetection,
    int voicemailWindowMs,
    String voicemailAction,
    String voicemailMessage,
    boolean transcriptionEnabled,
    /**
     * The share (0-100 %) of the tenant's outbound calls placed through Asterisk, the rest through Twilio; null
     * follows telephony.provider (asterisk = 100, twilio = 0).
     */
    Integer asteriskShare,
    /** A call whose provider is down or refuses it is placed through the other one instead of failing. */
    boolean providerFailover,
    /** Whether the tenant has an OpenAI key of its own; the key itself is write-only. */
    boolean openaiApiKeySet,
    OffsetDateTime createdAt,
    OffsetDateTime updatedAt) {

  /** As tenant_status_known accepts them; a disabled tenant's token stops working. */
  public static final Set<String> STATUSES = Set.of("active", "disabled");
  /** As the database's checks accept them (V2, V4). */
  public static final Set<String> INBOUND_ROUTES = Arrays.stream(Route.values()).map(Route::dbValue)
      .collect(Collectors.toUnmodifiableSet());
  public static final Set<String> FALLBACKS = Arrays.stream(Decision.values()).map(Decision::dbValue)
      .collect(Collectors.toUnmodifiableSet());
  public static final Set<String> VOICEMAIL_DETECTIONS = Set.of("off", "outbound", "all");
  public static final Set<String> VOICEMAIL_ACTIONS = Set.of("hangup", "leave_message");
  /** As tenant_language_format accepts it: en, en-US. */
  public static final Pattern LANGUAGE = Pattern.compile("[a-z]{2}(-[A-Z]{2})?");
  /**
   * As tenant_voicemail_greeting_sound_format accepts it: a sound as Playback() names it, without extension,
   * relative to Asterisk's sounds directory (custom/acme-voicemail) or absolute; letters, digits, _ and -
   * between slashes, so nothing the dialplan would act on and no '..'.
   */
  public static final Pattern SOUND = Pattern.compile("/?[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*");

  /**
   * Settings to create a tenant with or to change; null fields keep the current value (or the database
   * default on creation), {@code clearTransferNumber} removes the transfer number and
   * {@code clearVoicemailGreetingSound} the greeting sound (back to vm-intro), {@code clearAsteriskShare} the
   * Asterisk share (back to following telephony.provider).
   */
  public record Settings(
      String name,
      String status,
      Integer maxConcurrentCalls,
      String aiModel,
      String aiVoice,
      String aiInstructions,
      String aiGreeting,
      String aiLanguage,
      String transferNumber,
      boolean clearTransferNumber,
      Boolean recordingEnabled,
      String voicemailGreetingSound,
      boolean clearVoicemailGreetingSound,
      String inboundRoute,
      String aiGoodbye,
      String aiFallback,
      Integer silenceTimeoutMs,
      String voicemailDetection,
      Integer voicemailWindowMs,
      String voicemailAction,
      String voicemailMessage,
      boolean clearVoicemailMessage,
      Boolean transcriptionEnabled,
      Integer asteriskShare,
      boolean clearAsteriskShare,
      Boolean providerFailover) {}
}
