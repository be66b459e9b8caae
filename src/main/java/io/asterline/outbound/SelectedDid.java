package io.asterline.outbound;

import java.util.UUID;

/** The DID chosen as caller ID: its number, its rotation segment and the PJSIP trunk calls leave through. */
public record SelectedDid(UUID id, String number, String segment, String trunk) {}
