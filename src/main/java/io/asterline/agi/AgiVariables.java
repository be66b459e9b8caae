package io.asterline.agi;

/**
 * Every channel variable the FastAGI scripts read or set, in one place. Outputs carry the one project prefix
 * {@code ASTERLINE_}; the dialplan in {@code dialplan/} and the contract in {@code agi-scripts/README.md} use
 * exactly these names.
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
  /** After the agent: hangup, transfer or voicemail. */
  public static final String NEXT = "ASTERLINE_NEXT";
  /** E.164 number a transfer dials. */
  public static final String TRANSFER_TO = "ASTERLINE_TRANSFER_TO";
  /** Absolute path Record() writes the caller's voicemail to: {@code <recordings dir>/<tenant>/<call id>-voicemail.wav}. */
  public static final String VOICEMAIL_FILE = "ASTERLINE_VOICEMAIL_FILE";
  /** The sound played before the voicemail beep: the tenant's voicemail_greeting_sound, else vm-intro. */
  public static final String VOICEMAIL_GREETING = "ASTERLINE_VOICEMAIL_GREETING";

  // Asterisk's own variables that call-end and voicemail-done read when the dialplan does not pass them as arguments
  public static final String DIALSTATUS = "DIALSTATUS";
  public static final String HANGUPCAUSE = "HANGUPCAUSE";
  public static final String MIXMONITOR_FILENAME = "MIXMONITOR_FILENAME";
  public static final String RECORD_STATUS = "RECORD_STATUS";
}
