// What admits an image under `requireSignature`: the values of the resolver's `RequireSignature`.

/**
 * One way an image may be signed; under `requireSignature`, any one admits it (README: Deploy
 * only what CI vouched for).
 */
export class SignedBy {
  /**
   * A Notary Project signature stored beside the image as an OCI referrer (`notation sign`, AWS
   * Signer's Notation plugin). Present, not verified: verify in CI and let the lock carry it.
   */
  public static readonly NOTATION = new SignedBy('Notation');

  /**
   * A cosign signature stored beside the image as an OCI referrer (a Sigstore bundle, or cosign's
   * OCI 1.1 signature artifact). Present, not verified.
   */
  public static readonly SIGSTORE = new SignedBy('Sigstore');

  /**
   * ECR managed signing with this AWS Signer profile, which ECR reports on:
   * `arn:aws:signer:<region>:<account>:/signing-profiles/<name>`.
   */
  public static signerProfile(profileArn: string): SignedBy {
    return new SignedBy(profileArn);
  }

  /**
   * @param value The word the resolver reads: `Notation`, `Sigstore` or a profile ARN.
   */
  private constructor(public readonly value: string) {}
}
