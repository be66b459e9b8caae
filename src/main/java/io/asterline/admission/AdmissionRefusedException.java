package io.asterline.admission;

/** No slot: the tenant (or the whole service) already has as many calls in progress as it may. */
public final class AdmissionRefusedException extends RuntimeException {

  public AdmissionRefusedException(String message) {
    super(message);
  }
}
