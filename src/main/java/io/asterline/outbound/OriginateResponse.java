package io.asterline.outbound;

import io.asterline.call.CallOutcome;
import java.util.UUID;

/**
 * The end of an originate attempt as Asterisk reports it, from the {@code OriginateResponse} AMI event or,
 * when AMI missed it, from the dialplan's {@code failed} extension.
 *
 * @param reason the last AST_CONTROL state: 0 failed, 1 hung up, 3 ringing (no answer), 4 answered, 5 busy,
 *     8 congestion
 * @param channel the dialled channel's name, or null
 */
public record OriginateResponse(UUID callId, int reason, String channel) {

  public boolean answered() {
    return reason == 4;
  }

  /** The call's outcome for this reason, as stored in {@code call.outcome}. */
  public CallOutcome outcome() {
    return outcomeOf(reason);
  }

  public static CallOutcome outcomeOf(int reason) {
    return switch (reason) {
      case 4 -> CallOutcome.ANSWERED;
      case 5 -> CallOutcome.BUSY;
      case 3 -> CallOutcome.NO_ANSWER;
      case 8 -> CallOutcome.CONGESTION;
      // 0: no such channel or it failed; 1: the far end hung up (rejected) before answering; others are not
      // final states Asterisk should end an originate with, so they are failures too
      default -> CallOutcome.FAILED;
    };
  }
}
