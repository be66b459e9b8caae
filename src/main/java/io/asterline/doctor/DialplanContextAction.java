package io.asterline.doctor;

import org.asteriskjava.manager.action.ShowDialplanAction;

/**
 * AMI {@code ShowDialPlan} for one context. asterisk-java's action has no Context header, and without one Asterisk
 * sends the whole dialplan; with one it answers "Did not find context ..." when the context is missing.
 */
public final class DialplanContextAction extends ShowDialplanAction {

  private static final long serialVersionUID = 1L;

  private final String context;

  public DialplanContextAction(String context) {
    this.context = context;
  }

  /** Sent as the Context header (asterisk-java turns each getter into a header). */
  public String getContext() {
    return context;
  }
}
