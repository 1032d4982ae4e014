// Types of @authsvc/client. ./schema.js is generated from the server's OpenAPI 3.1
// document by openapi-typescript (`npm run generate`), so each operation's parameters,
// body and answer are typed by its operationId.
import type { components, operations } from "./schema.js";

export type { components, operations };
export type OperationId = keyof operations;

type Part<T> = [T] extends [never] ? {} : [T] extends [undefined] ? {} : NonNullable<T>;
type Json<T> = T extends { content: { "application/json": infer B } } ? B : undefined;
type Responses<K extends OperationId> = operations[K]["responses"];

export type Params<K extends OperationId> = operations[K] extends { parameters: infer P }
  ? Part<P extends { path?: infer X } ? X : never> &
      Part<P extends { query?: infer X } ? X : never> &
      Part<P extends { header?: infer X } ? X : never>
  : {};
export type Body<K extends OperationId> = operations[K] extends {
  requestBody?: { content: { "application/json": infer B } };
}
  ? B
  : never;
export type Result<K extends OperationId> = Json<Responses<K>[Extract<keyof Responses<K>, 200 | 201 | 202>]>;
export type Problem = components["schemas"]["Problem"] & { errors?: Record<string, string[]> };

export interface CallRequest<K extends OperationId> {
  params?: Params<K>;
  body?: Body<K>;
  token?: string;
}

export declare class ProblemError extends Error {
  status: number;
  type: string;
  title: string;
  detail: string;
  errors: Record<string, string[]>;
  problem: Problem;
  headers: Headers;
}
export declare class MfaRequiredError extends Error {
  mfaToken: string;
}

export interface ClientOptions {
  fetch?: typeof fetch;
  /** A saved OpenAPI document, to skip reading it from the server. */
  document?: object;
}

export declare class AuthServiceClient {
  constructor(baseUrl: string, apiKey?: string, options?: ClientOptions);
  call<K extends OperationId>(operationId: K, request?: CallRequest<K>): Promise<Result<K>>;
  paginate<K extends OperationId>(
    operationId: K,
    params?: Params<K>,
  ): AsyncGenerator<Result<K> extends { items?: (infer R)[] } ? R : unknown>;
  session(options?: SessionOptions): UserSession;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}
export interface TokenStorage {
  get(): TokenPair | null | Promise<TokenPair | null>;
  set(tokens: TokenPair | null): void | Promise<void>;
}
export declare class MemoryTokenStorage implements TokenStorage {
  constructor(tokens?: TokenPair | null);
  get(): TokenPair | null;
  set(tokens: TokenPair | null): void;
}
export interface SessionOptions {
  storage?: TokenStorage;
  leewaySeconds?: number;
}

export declare class UserSession {
  register(email: string, password: string, fields?: Partial<Body<"post_register">>): Promise<Result<"post_register">>;
  login(identity: { email: string } | { username: string }, password: string): Promise<TokenPair>;
  completeMfa(mfaToken: string, code: string): Promise<TokenPair>;
  refresh(): Promise<TokenPair>;
  call<K extends OperationId>(operationId: K, request?: Omit<CallRequest<K>, "token">): Promise<Result<K>>;
  logout(): Promise<void>;
  getCurrentUser(): Promise<Result<"get_me">>;
  listSessions(): Promise<Result<"get_my_sessions">>;
  revokeSession(sessionId: string): Promise<void>;
}

export declare function readOperations(document: object): Record<string, unknown>;
