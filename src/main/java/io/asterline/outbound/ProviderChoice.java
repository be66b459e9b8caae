package io.asterline.outbound;

import io.asterline.twilio.TwilioConfig.Provider;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Which provider carries a tenant's outbound call during the move off Twilio: the tenant's Asterisk share (0-100 %),
 * else 100 or 0 as {@code telephony.provider} says. The choice is a stable hash of the tenant and the lead (its
 * lead id, else the number called), so a lead's retries and its journey's calls all go the same way, and raising the
 * share only moves leads from Twilio to Asterisk, never back: a lead in bucket b goes to Asterisk at every share
 * above b.
 */
final class ProviderChoice {

  private ProviderChoice() {}

  /**
   * @param asteriskShare the tenant's share, or null to follow {@code defaultProvider}
   * @param leadId the lead the call is for, or null
   * @param toNumber the E.164 number called (the lead's key when it has no id)
   */
  static Provider choose(long tenantId, Integer asteriskShare, Provider defaultProvider, Long leadId,
      String toNumber) {
    int share = asteriskShare != null ? asteriskShare : defaultProvider == Provider.ASTERISK ? 100 : 0;
    if (share >= 100) {
      return Provider.ASTERISK;
    }
    if (share <= 0) {
      return Provider.TWILIO;
    }
    return bucket(tenantId, leadId != null ? "lead:" + leadId : "number:" + toNumber) < share
        ? Provider.ASTERISK : Provider.TWILIO;
  }

  /** 0-99: the first eight bytes of SHA-256 of "tenantId:leadKey", unsigned, modulo 100. */
  static int bucket(long tenantId, String leadKey) {
    byte[] digest;
    try {
      digest = MessageDigest.getInstance("SHA-256")
          .digest((tenantId + ":" + leadKey).getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
    }
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (digest[i] & 0xff);
    }
    return (int) Long.remainderUnsigned(v, 100);
  }
}
