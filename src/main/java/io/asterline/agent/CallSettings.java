package io.asterline.agent;

import io.asterline.degraded.TenantSettings;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Everything the agent needs about one call, read once when its AudioSocket leg starts: the tenant's agent
 * settings with the call's own overrides applied. The API key is a secret: {@link #toString} hides it.
 */
public record CallSettings(
    UUID callId,
    long tenantId,
    String direction,
    Optional<String> tenantApiKey,
    String model,
    String voice,
    String instructions,
    String greeting,
    String goodbye,
    String language,
    Optional<String> transferNumber,
    Set<String> allowedTransferNumbers,
    String fallback,
    int silenceTimeoutMs,
    boolean voicemailDetection,
    int voicemailWindowMs,
    String voicemailAction,
    Optional<String> voicemailMessage,
    Optional<String> amdStatus) {

  /**
   * The settings of an inbound call admitted while the database was down, from its tenant's last-known-good
   * settings: such a call has no per-call overrides (its row did not exist when inbound answered).
   */
  public static CallSettings degradedInbound(UUID callId, TenantSettings t) {
    return degradedInbound(callId, t, t.apiKey());
  }

  /**
   * The same with the tenant's key as the Realtime session needs it: the copy in memory keeps the key in its
   * stored (sealed) form, revealed only for the call that uses it.
   */
  public static CallSettings degradedInbound(UUID callId, TenantSettings t, Optional<String> apiKey) {
    return new CallSettings(callId, t.tenantId(), "inbound", apiKey, t.model(), t.voice(), t.instructions(),
        t.greeting(), t.goodbye(), t.language(), t.transferNumber(), Set.of(), t.fallback(), t.silenceTimeoutMs(),
        "all".equals(t.voicemailDetection()), t.voicemailWindowMs(), t.voicemailAction(), t.voicemailMessage(),
        Optional.empty());
  }

  /** The decision a call gets when the AI cannot serve it: transfer needs a number, else voicemail. */
  public String fallbackDecision() {
    if ("transfer".equals(fallback) && transferNumber.isEmpty()) {
      return "voicemail";
    }
    return fallback;
  }

  /** A number transfer_call may reach: the tenant's own line or one the call's settings allow. */
  public boolean mayTransferTo(String number) {
    return transferNumber.map(number::equals).orElse(false) || allowedTransferNumbers.contains(number);
  }

  @Override
  public String toString() {
    return "CallSettings[call=" + callId + ", tenant=" + tenantId + ", direction=" + direction + ", model=" + model
        + ", voice=" + voice + ", language=" + language + ", apiKey=" + (tenantApiKey.isPresent() ? "(tenant's)" : "(service)")
        + ", fallback=" + fallback + ", silenceTimeoutMs=" + silenceTimeoutMs + ", voicemailDetection="
        + voicemailDetection + ", voicemailAction=" + voicemailAction + ", amd=" + amdStatus.orElse("-") + "]";
  }
}
