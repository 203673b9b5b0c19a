/**
 * The wire contract as the tests read it. Written out by hand rather than imported from src, so a
 * change in the server's output shape fails a test instead of silently changing the expectation.
 */

export interface TikapiError {
  status: 'error';
  message: string;
  statusCode?: number;
  fields?: Record<string, string>;
}

export interface ListedUser {
  user: { id: string; uniqueId: string; nickname: string; secUid: string; avatarThumb: string; verified: boolean };
  stats: { followerCount: number; followingCount: number; heartCount: number; videoCount: number };
}

export interface CheckResponse {
  status: 'success';
  message: '';
  statusCode: 0;
  userInfo: {
    user: ListedUser['user'] & { privateAccount: boolean };
    stats: ListedUser['stats'];
  };
}

export interface FollowersResponse {
  status: 'success';
  statusCode: 0;
  userList: ListedUser[];
  /** A number, as current TikAPI sends it; 0 on the last page. */
  nextCursor: number;
  hasMore: boolean;
  total: number;
}

export interface WireVideo {
  id: string;
  desc: string;
  createTime: number;
  author: { id: string; uniqueId: string; nickname: string; secUid: string };
  stats: { diggCount: number; shareCount: number; commentCount: number; playCount: number };
  music: { id: string; title: string };
}

export interface HashtagResponse {
  status: 'success';
  challengeInfo: { challenge: { id: string; title: string }; stats: { videoCount: number; viewCount: number } };
  itemList: WireVideo[];
  cursor: string;
  hasMore: boolean;
}

export interface PostsResponse {
  status: 'success';
  statusCode: 0;
  itemList: WireVideo[];
  cursor: string;
  hasMore: boolean;
}

export interface VideoResponse {
  status: 'success';
  statusCode: 0;
  itemInfo: { itemStruct: WireVideo };
}

export interface PostingError {
  success: false;
  error: string;
  code: string;
  field?: string;
}

export interface PostResponse {
  success: true;
  data: { publish_id: string };
  mediaType: 'video' | 'photo';
}

export interface StatusResponse {
  success: true;
  data: { publish_id: string; status: string; fail_reason?: string; public_post_url?: string; uploaded_bytes?: number };
}

export interface AdminError {
  ok: false;
  error: string;
  field: string;
  status?: string;
}

export interface QrRequestResponse {
  success: true;
  data: { qrCodeImage: string; token: string; unique_id: string; expiresIn: number };
}

export type QrStatus = 'new' | 'scanned' | 'confirmed' | 'expired' | 'utilised';

export interface QrCheckResponse {
  success: true;
  data: {
    status: QrStatus;
    unique_id: string;
    account?: { accountId: string; display_name: string; username: string };
    message?: string;
  };
}

export interface SubscriptionRefusal {
  error: string;
  subscription: string;
}

export interface AdminQrLogin {
  token: string;
  unique_id: string;
  status: QrStatus;
  expiresAt: string;
}

export interface ProviderAccount {
  accountId: string;
  display_name: string;
  username: string;
  avatar_url?: string;
  bio_description?: string;
  followers?: number;
  following?: number;
  likes?: number;
  videos?: number;
  is_verified?: boolean;
}

export interface AccountsResponse {
  success: true;
  subscription: string;
  data: ProviderAccount[];
}

export interface CreatorInfoResponse {
  success: true;
  data: {
    creator_avatar_url: string;
    creator_username: string;
    creator_nickname: string;
    privacy_level_options: string[];
    comment_disabled: boolean;
    duet_disabled: boolean;
    stitch_disabled: boolean;
    max_video_post_duration_sec: number;
  };
}
