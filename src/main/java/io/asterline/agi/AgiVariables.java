package io.asterline.agi;

/**
 * Every channel variable the FastAGI scripts and the outbound Originate read or set, in one place, for both
 * directions. Asterline's own carry the one project prefix {@code ASTERLINE_}; the dialplan in {@code dialplan/}
 * and the contract in {@code agi-scripts/README.md} use exactly these names. (The dialplan's own settings, such as
 * ASTERLINE_FALLBACK_SOUND, are set by [asterline-settings] and documented in dialplan/README.md.)
 */
public final class AgiVariables {

  private AgiVariables() {}

  /** Set last by every script: what happened ({@link AgiStatus}); the dialplan branches on it. */
  public static final String STATUS = "ASTERLINE_STATUS";
  public static final String TENANT_ID = "ASTERLINE_TENANT_ID";
  /** The call's id: also the AudioSocket UUID and the primary key of the call row. */
  public static final String CALL_ID = "ASTERLINE_CALL_ID";
  /** The dialled number in E.164. */
  public static final String DID = "ASTERLINE_DID";
  /** The PJSIP endpoint the dialled number belongs to; transfers and forwards dial out through it. */
  public static final String TRUNK = "ASTERLINE_TRUNK";
  /** agent, forward, voicemail or reject. */
  public static final String ROUTE = "ASTERLINE_ROUTE";
  /** host:port of the AudioSocket server that takes this call. */
  public static final String AUDIOSOCKET = "ASTERLINE_AUDIOSOCKET";
  /** websocket or audiosocket: the agent leg's transport; the dialplan's global unless an answer sets it per call. */
  public static final String MEDIA = "ASTERLINE_MEDIA";
  /** Absolute path MixMonitor records to; empty when the tenant does not record. */
  public static final String RECORDING = "ASTERLINE_RECORDING";
  /** E.164 number a forward route sends the call to. */
  public static final String FORWARD_TO = "ASTERLINE_FORWARD_TO";
  /** After the agent (after-agent): hangup, transfer or voicemail; after AMD (outbound-answered): agent, voicemail or hangup. */
  public static final String NEXT = "ASTERLINE_NEXT";
  /** E.164 number a transfer dials. */
  public static final String TRANSFER_TO = "ASTERLINE_TRANSFER_TO";
  /** Absolute path Record() writes the caller's voicemail to: {@code <recordings dir>/<tenant>/<call id>-voicemail.wav}. */
  public static final String VOICEMAIL_FILE = "ASTERLINE_VOICEMAIL_FILE";
  /**
   * The tenant's recording-consent announcement, a sound as Playback() names it; empty when the tenant has none.
   * Set by inbound (route agent) and outbound-answered; [asterline-consent] (extensions_consent.conf) plays it.
   */
  public static final String CONSENT_SOUND = "ASTERLINE_CONSENT_SOUND";
  /** before_recording (the announcement plays before MixMonitor starts) or after_recording; with CONSENT_SOUND. */
  public static final String CONSENT_ORDER = "ASTERLINE_CONSENT_ORDER";
  /** The sound played before the voicemail beep: the tenant's voicemail_greeting_sound, else vm-intro. */
  public static final String VOICEMAIL_GREETING = "ASTERLINE_VOICEMAIL_GREETING";

  // set on an outbound call's channel by the Originate (AMI Variable headers; values never contain commas), beside
  // CALL_ID, TENANT_ID, AUDIOSOCKET, TRUNK and RECORDING above (unset when the tenant does not record)
  /** outbound (the only direction set this way: inbound calls are inbound by their context). */
  public static final String DIRECTION = "ASTERLINE_DIRECTION";
  /** Where to send the callee when the agent cannot be reached (the call's, else the tenant's); may be unset. */
  public static final String TRANSFER_NUMBER = "ASTERLINE_TRANSFER_NUMBER";
  /** Sound played to an answering machine (voicemail action leave_message); may be unset. */
  public static final String AUDIO_FILE = "ASTERLINE_AUDIO_FILE";

  // Asterisk's own variables that call-end and voicemail-done read when the dialplan does not pass them as arguments
  public static final String DIALSTATUS = "DIALSTATUS";
  public static final String HANGUPCAUSE = "HANGUPCAUSE";
  public static final String MIXMONITOR_FILENAME = "MIXMONITOR_FILENAME";
  public static final String RECORD_STATUS = "RECORD_STATUS";
  /** outbound-failed: the failed extension's originate Reason (0 failed, 1 hung up, 3 no answer, 5 busy, 8 congestion). */
  public static final String REASON = "REASON";
  /** outbound-answered: AMD()'s result, HUMAN | MACHINE | NOTSURE | HANGUP, and its cause. */
  public static final String AMD_STATUS = "AMDSTATUS";
  public static final String AMD_CAUSE = "AMDCAUSE";
}
