/** Placeholder until the plugin lands (issue 3). */
export const PACKAGE_NAME = '@periscope/express';
