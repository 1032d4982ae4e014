/** Where authsvc is and which tenant the elements sign in to. */
export interface WidgetOptions {
  /** authsvc's address, e.g. "https://id.example.com". */
  baseUrl: string;
  /** The tenant's slug. */
  tenant: string;
}

/**
 * Define <authsvc-sign-in>, <authsvc-sign-up> and <authsvc-user-button> for one tenant.
 * themeCss: CSS custom properties for :host (--authsvc-primary, ...); none by default.
 */
export function defineAuthsvcElements(options: WidgetOptions & { themeCss?: string }): void;

/** Fetch the tenant's theme from authsvc, then define the elements with it. */
export function loadAuthsvcElements(options: WidgetOptions): Promise<void>;
