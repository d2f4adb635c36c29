/** The SDK's version, sent in `User-Agent`. A unit test keeps it equal to package.json's `version`. */
export const SDK_VERSION = '0.1.0';
