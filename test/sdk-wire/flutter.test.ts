import { mobileSuite, sdks } from './mobile.js';

/**
 * authsignal-flutter 3.1.0 calls the native SDKs it pins (iOS ~> 2.11.0, Android 4.1.0, whose SMS and
 * HTTP code is the same as the versions replayed in ios.test.ts and android.test.ts), with its own
 * metadata: `X-Authsignal-SDK: flutter`, `X-Authsignal-Version: 3.1.0`, `X-Authsignal-Native-SDK` and
 * `-Native-Version`, and `AuthsignalFlutterSDK/3.1.0` in the User-Agent. Flutter has no launch API for
 * the pre-built UI, and its web build is the browser SDK (see browser.test.ts).
 */
mobileSuite(sdks.flutterIos);
mobileSuite(sdks.flutterAndroid);
