import type { ICognitoStorage } from 'amazon-cognito-identity-js';

/**
 * Per-provider token storage. The library's default is one module-global object shared by every pool in
 * the process; each provider gets its own so users and tests never see each other's tokens.
 */
export class MemoryStorage implements ICognitoStorage {
  private readonly items = new Map<string, string>();
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
  clear(): void {
    this.items.clear();
  }
}
