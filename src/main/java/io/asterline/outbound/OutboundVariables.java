package io.asterline.outbound;

import java.util.Optional;
import java.util.UUID;
import org.asteriskjava.fastagi.AgiChannel;
import org.asteriskjava.fastagi.AgiException;
import org.slf4j.LoggerFactory;

/**
 * The dialplan variables of dialplan/extensions_outbound.conf. The originate sets the first group on the
 * callee's channel; the outbound AGI scripts read and set the rest. Same ASTERLINE_ prefix (and, where the
 * meaning is the same, the same names) as the inbound side.
 */
public final class OutboundVariables {

  private OutboundVariables() {}

  // set by the Originate (AMI Variable headers; values never contain commas)
  public static final String CALL_ID = "ASTERLINE_CALL_ID";
  public static final String TENANT_ID = "ASTERLINE_TENANT_ID";
  public static final String DIRECTION = "ASTERLINE_DIRECTION";
  /** host:port of the AudioSocket server, for Dial(AudioSocket/...) */
  public static final String AUDIOSOCKET = "ASTERLINE_AUDIOSOCKET";
  /** absolute recording path for MixMonitor; unset when the tenant does not record */
  public static final String RECORDING = "ASTERLINE_RECORDING";
  /** PJSIP endpoint of the caller-ID DID: transfers leave through it too */
  public static final String TRUNK = "ASTERLINE_TRUNK";
  /** where to send the callee when the agent cannot be reached (the call's, else the tenant's); may be unset */
  public static final String TRANSFER_NUMBER = "ASTERLINE_TRANSFER_NUMBER";
  /** sound played to an answering machine (leave_message); may be unset */
  public static final String AUDIO_FILE = "ASTERLINE_AUDIO_FILE";

  // set by Asterisk
  /** the failed extension's originate Reason */
  public static final String REASON = "REASON";
  public static final String AMD_STATUS = "AMDSTATUS";
  public static final String AMD_CAUSE = "AMDCAUSE";

  // set by the outbound AGI scripts
  /** OK, or ERROR when the script could not do its job (the dialplan then connects the agent anyway) */
  public static final String STATUS = "ASTERLINE_STATUS";
  /** outbound-answered: agent | voicemail | hangup; after-agent: hangup | transfer | voicemail */
  public static final String NEXT = "ASTERLINE_NEXT";
  /** after-agent (the inbound side's script): the number the agent transfers to */
  public static final String TRANSFER_TO = "ASTERLINE_TRANSFER_TO";

  /** The channel's call id, or empty (logged) when the dialplan passed none or garbage. */
  static Optional<UUID> callId(AgiChannel channel, String script) throws AgiException {
    String raw = channel.getVariable(CALL_ID);
    try {
      return Optional.of(UUID.fromString(raw == null ? "" : raw.trim()));
    } catch (IllegalArgumentException e) {
      LoggerFactory.getLogger(OutboundVariables.class).warn("{}: {} is not a call id: '{}'", script, CALL_ID, raw);
      return Optional.empty();
    }
  }
}
