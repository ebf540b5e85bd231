/**
 * One watched collection (a resource, cluster-wide or in one namespace): a list, then a watch
 * from its resourceVersion, kept in a cache (the client's ListWatch). When the API server goes
 * away the cache is kept, so the proxy keeps its last good configuration, and the watch is
 * restarted with exponential backoff, each attempt logged; a resourceVersion too old to resume
 * from (410 Gone) makes the cache list again and drop whatever was deleted meanwhile.
 *
 * A collection the API server does not serve (404 Not Found: the CRD of DestinationRules or
 * ServiceEntries is not installed, as on clusters given only the Gateway and VirtualService CRDs)
 * counts as listed and empty, as Istio's informers treat a missing CRD, so the proxy still starts;
 * it is listed again with the same backoff and its objects arrive once the CRD is installed.
 */
import type { KubeConfig, KubernetesObject } from "@kubernetes/client-node";
import { ListWatch, Watch } from "@kubernetes/client-node";
import type { BackoffPolicy } from "./backoff";
import { backoffDelay } from "./backoff";
import { ApiStatusError, listObjects } from "./list-objects";

/** The state of one watch, for the status endpoint. */
export interface WatchStatus {
  /** What is watched: `gateways.networking.istio.io`, `secrets in istio-system`. */
  readonly resource: string;
  /** True once the first list has arrived (the cache is complete). */
  readonly synced: boolean;
  /** True while the watch is connected. */
  readonly connected: boolean;
  /** Failed attempts since the last successful connection. */
  readonly failures: number;
  /** The last error, when the watch is not connected. */
  readonly lastError?: string;
  /** The delay before the next attempt, ms, while one is scheduled. */
  readonly retryInMs?: number;
}

/** What a {@link Reflector} needs. */
export interface ReflectorOptions {
  /** Credentials and server. */
  readonly kubeConfig: KubeConfig;
  /** The collection path: `/apis/networking.istio.io/v1/gateways`. */
  readonly path: string;
  /** What to call it in logs. */
  readonly description: string;
  /** Called on every change of the cache, and once the first list has arrived. */
  readonly onChange: () => void;
  /** Operational log lines. */
  readonly log: (line: string) => void;
  /** Reconnection delays. */
  readonly backoff: BackoffPolicy;
  /** Deadline of a list request, ms. */
  readonly listTimeoutMs?: number;
}

/** A watched, cached collection that reconnects by itself. */
export class Reflector {
  private readonly informer: ListWatch<KubernetesObject>;
  private isSynced = false;
  private isConnected = false;
  private failures = 0;
  private lastError: string | undefined;
  private retryInMs: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly syncWaiters: (() => void)[] = [];

  constructor(private readonly options: ReflectorOptions) {
    const onConnected = () => this.connected();
    // The watch reports a connection once the API server has answered it, which is when a
    // reconnection has succeeded even though no list is needed to resume.
    class TrackedWatch extends Watch {
      override async watch(
        path: string,
        query: Record<string, string | number | boolean | undefined>,
        callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
        done: (err: unknown) => void,
      ): Promise<AbortController> {
        let failed = false;
        const controller = await super.watch(path, query, callback, (err) => {
          if (err !== null && err !== undefined) failed = true;
          done(err);
        });
        if (!failed) onConnected();
        return controller;
      }
    }
    const list = async () => {
      try {
        const result = await listObjects(options.kubeConfig, options.path, options.listTimeoutMs);
        return result as unknown as { items: KubernetesObject[]; metadata: { resourceVersion?: string } };
      } catch (err) {
        if (isNotServed(err)) this.markSynced();
        throw err;
      }
    };
    this.informer = new ListWatch<KubernetesObject>(
      options.path,
      new TrackedWatch(options.kubeConfig),
      async () => {
        const l = await list();
        this.listed();
        return l as never;
      },
      false,
    );
    const changed = () => {
      if (!this.closed && this.isSynced) options.onChange();
    };
    this.informer.on("add", changed);
    this.informer.on("update", changed);
    this.informer.on("delete", changed);
    this.informer.on("error", (err: unknown) => this.failed(err));
  }

  /** Starts listing and watching. */
  start(): void {
    this.run();
  }

  private run(): void {
    if (this.closed) return;
    this.informer.start().catch((err: unknown) => this.failed(err));
  }

  private listed(): void {
    this.markSynced();
    this.connected();
  }

  /** The cache is complete (possibly empty) for the first time: whoever waits may now build. */
  private markSynced(): void {
    if (this.isSynced) return;
    this.isSynced = true;
    for (const w of this.syncWaiters.splice(0)) w();
    // A first list is a change, even when it holds nothing: the caller may now build.
    setImmediate(() => {
      if (!this.closed) this.options.onChange();
    });
  }

  private connected(): void {
    if (this.closed) return;
    if (this.failures > 0) {
      this.options.log(
        `watching ${this.options.description} again after ${this.failures} failed attempt${this.failures === 1 ? "" : "s"}`,
      );
    }
    this.isConnected = true;
    this.failures = 0;
    this.lastError = undefined;
    this.retryInMs = undefined;
  }

  private failed(err: unknown): void {
    if (this.closed || this.timer !== undefined) return;
    this.isConnected = false;
    this.failures++;
    const message = describeError(err);
    this.lastError = message;
    const delay = backoffDelay(this.options.backoff, this.failures);
    this.retryInMs = delay;
    if (!isNotServed(err)) {
      this.options.log(
        `cannot watch ${this.options.description}: ${message}; attempt ${this.failures} failed, retrying in ${delay} ms (the last good configuration keeps serving)`,
      );
    } else if (this.failures === 1) {
      // Said once: a cluster may never install the CRD, and the status endpoint keeps the error.
      this.options.log(
        `${this.options.description} is not served (${message}); taken as empty until it is (is its CRD installed?), listing again with backoff up to ${this.options.backoff.maxMs} ms`,
      );
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.retryInMs = undefined;
      this.run();
    }, delay);
    this.timer.unref();
  }

  /** Whether the first list has arrived. */
  get synced(): boolean {
    return this.isSynced;
  }

  /** Resolves once the first list has arrived (at once if it has). */
  waitForSync(): Promise<void> {
    if (this.isSynced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /** The cached objects. */
  list(): readonly KubernetesObject[] {
    return this.informer.list();
  }

  /** The watch's state. */
  status(): WatchStatus {
    return {
      resource: this.options.description,
      synced: this.isSynced,
      connected: this.isConnected,
      failures: this.failures,
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
      ...(this.retryInMs === undefined ? {} : { retryInMs: this.retryInMs }),
    };
  }

  /** Stops watching (anyone waiting for the first list is released); the cache goes with the object. */
  stop(): void {
    this.closed = true;
    for (const w of this.syncWaiters.splice(0)) w();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    void this.informer.stop();
  }
}

/** Whether the API server answered that it does not serve the collection at all. */
function isNotServed(err: unknown): boolean {
  return err instanceof ApiStatusError && err.statusCode === 404;
}

function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    const cause = (err as { cause?: unknown }).cause;
    const causeCode = cause instanceof Error ? (cause as NodeJS.ErrnoException).code : undefined;
    const text = err.message || code || causeCode || err.name;
    return code !== undefined && !text.includes(code) ? `${text} (${code})` : text;
  }
  if (typeof err === "object" && err !== null && "message" in err)
    return String((err as { message: unknown }).message);
  return String(err);
}
