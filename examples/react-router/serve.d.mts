export function appPage(receiver: string): string;
export function serveApp(options: { port: number; receiver: string }): Promise<{ url: string; close(): Promise<void> }>;
