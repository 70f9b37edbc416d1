import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RuntimeConfig } from '@shipyard/config';

type Phase = 'starting' | 'ready' | 'draining';

/**
 * Readiness follows the process: not ready until it listens, not ready again from the first
 * termination signal. During the drain the server still answers, so requests routed here before
 * the endpoint is removed are served; only after it does Nest close the server.
 */
@Injectable()
export class LifecycleService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(LifecycleService.name);
  private phase: Phase = 'starting';

  constructor(private readonly config: ConfigService<RuntimeConfig, true>) {}

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
    const seconds = this.config.get('SHUTDOWN_DRAIN_SECONDS', { infer: true });
    this.logger.warn(
      `${signal ?? 'shutdown'}: readiness now fails; serving for ${seconds}s before closing`,
    );
    await sleep(seconds * 1000);
  }
}
