// Types of @authsvc/client/express.
import type { TokenStorage } from "./index.js";

export interface VerifierOptions {
  baseUrl: string;
  tenant: string;
  audience?: string;
  checkRevocation?: boolean;
  fetch?: typeof fetch;
}
export type AccessClaims = {
  sub: string;
  tid: string;
  sid: string;
  email: string;
  roles: string[];
  exp: number;
  [claim: string]: unknown;
};
export declare function tokenVerifier(options: VerifierOptions): (token: string) => Promise<AccessClaims>;
export declare function requireAuth(
  options: (VerifierOptions | { verify: (token: string) => Promise<AccessClaims> }) & { roles?: string[] },
): (req: any, res: any, next: () => void) => Promise<void>;
export declare function cookieTokenStorage(
  req: any,
  res: any,
  options?: { name?: string; secure?: boolean; path?: string },
): TokenStorage;
