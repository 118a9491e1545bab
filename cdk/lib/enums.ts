// The values of the resolver's enumerated properties (README: Properties). The Python core's
// resolver.model enums are the source of truth; a test (tests/cdk/test_image_resolver.py) checks
// that every member here has the same name and value there.

/** What a missing image does (`OnMissing`). */
export enum OnMissing {
  /** Fail the resource, naming each missing image. */
  FAIL = 'Fail',
  /** Deploy the image's fallback (its `fallback`, or the asset its `fallbackBuild` makes). */
  FALLBACK = 'Fallback',
  /** Succeed; `Status`, `BuildRequired` and `MissingImages` say what is missing. */
  REPORT = 'Report',
}

/** What an image that fails the vulnerability gate does (`OnVulnerable`). */
export enum OnVulnerable {
  /** Fail the resource. */
  FAIL = 'Fail',
  /** Only report it in `Status`. */
  REPORT = 'Report',
}

/** What an image the repository's lifecycle policy selects does (`OnRetentionRisk`). */
export enum OnRetentionRisk {
  /** Report it in `Retention`. */
  REPORT = 'Report',
  /** Refuse to deploy it, naming the rule. */
  FAIL = 'Fail',
}

/** What an Update does when the images it replaces are gone from ECR (`OnRollbackTargetMissing`). */
export enum OnRollbackTargetMissing {
  /** Log it and report it in `RollbackTarget`. */
  WARN = 'Warn',
  /** Refuse the Update (failing forward is safe). */
  FAIL = 'Fail',
}

/** The lowest scan-finding severity that blocks an image (`FailOnSeverity`). */
export enum Severity {
  CRITICAL = 'CRITICAL',
  HIGH = 'HIGH',
  MEDIUM = 'MEDIUM',
  LOW = 'LOW',
}

/** What an image that carries none of the required signatures does (`OnUnsigned`). */
export enum OnUnsigned {
  /** Fail the resource (an image the gate cannot judge fails too). */
  FAIL = 'Fail',
  /** Deploy it, with `Status: Unsigned`. */
  REPORT = 'Report',
}

/** What an image ECR answers with another digest than the lock's does (`OnLockMismatch`). */
export enum OnLockMismatch {
  /** Fail the Create or Update before any consumer changes. */
  FAIL = 'Fail',
  /** Deploy what ECR answers now, with `Status: LockMismatch`. */
  REPORT = 'Report',
}

/** How a pattern or `Version: latest` ranks its candidates (`Order`). */
export enum TagOrder {
  /** The newest push. */
  PUSHED = 'Pushed',
  /** The highest semantic version the tag carries; push time only breaks ties. */
  SEMVER = 'Semver',
}

/** Whether the resolver tags the images it pins so the lifecycle policy keeps them (`Protect`). */
export enum Protect {
  /** No protection tags. */
  OFF = 'Off',
  /** A tag ECR refuses is reported (`Protected: Denied: …`), never fails the deployment. */
  BEST_EFFORT = 'BestEffort',
  /** A refused tag fails a Create or Update (never a rollback or Delete). */
  REQUIRED = 'Required',
}
