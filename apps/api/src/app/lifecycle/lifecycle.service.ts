import { BeforeApplicationShutdown, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';

type Phase = 'starting' | 'ready' | 'draining';

/**
 * Readiness follows the process: not ready until it listens, not ready again from the first
 * termination signal. During the drain the server still answers, so requests routed here before
 * the endpoint is removed are served; only after it does Nest close the server.
 * Built before Nest (see create-app.ts) and handed to it by LifecycleModule.
 */
export class LifecycleService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(LifecycleService.name);
  private phase: Phase = 'starting';

  constructor(private readonly drainSeconds: number) {}

  get ready(): boolean {
    return this.phase === 'ready';
  }

  get draining(): boolean {
    return this.phase === 'draining';
  }

  markReady(): void {
    if (this.phase === 'starting') this.phase = 'ready';
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.phase = 'draining';
    const seconds = this.drainSeconds;
    this.logger.warn(
      `${signal ?? 'shutdown'}: readiness now fails; serving for ${seconds}s before closing`,
    );
    await sleep(seconds * 1000);
  }
}
