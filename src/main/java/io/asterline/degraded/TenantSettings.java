package io.asterline.degraded;

import java.util.Optional;

/**
 * A tenant's agent settings as last read from the database, kept so that a call admitted while the database is
 * down can still talk to the agent and be routed after it. The API key is a secret: {@link #toString} hides it.
 */
public record TenantSettings(
    long tenantId,
    Optional<String> apiKey,
    String model,
    String voice,
    String instructions,
    String greeting,
    String goodbye,
    String language,
    Optional<String> transferNumber,
    String fallback,
    int silenceTimeoutMs,
    String voicemailDetection,
    int voicemailWindowMs,
    String voicemailAction,
    Optional<String> voicemailMessage,
    Optional<String> voicemailGreetingSound,
    /** The recording-consent announcement (V19) and its order, before_recording | after_recording. */
    Optional<String> consentSound,
    String consentOrder) {

  @Override
  public String toString() {
    return "TenantSettings[tenant=" + tenantId + ", apiKey=" + (apiKey.isPresent() ? "(tenant's)" : "(service)")
        + ", model=" + model + ", voice=" + voice + ", language=" + language + ", fallback=" + fallback + "]";
  }
}
